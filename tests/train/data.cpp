// The IDX reader (plain and gzip) and its errors, Fashion-MNIST as installed by Debian, the seeded
// split, and the batch loader with shuffling and augmentation.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <zlib.h>

#include "support.hpp"
#include "nas/train/data.hpp"

using namespace nas::train;
namespace fs = std::filesystem;

namespace {

std::vector<unsigned char> idx_bytes(unsigned magic, const std::vector<unsigned>& dims, const std::vector<unsigned char>& data) {
  std::vector<unsigned char> out;
  auto be = [&](unsigned v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<unsigned char>(v >> s));
  };
  be(magic);
  for (unsigned d : dims) be(d);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void write_file(const fs::path& p, const std::vector<unsigned char>& bytes, bool gz) {
  if (gz) {
    gzFile f = gzopen(p.c_str(), "wb");
    REQUIRE(f != nullptr);
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
}

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("moo_train_data_" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};

void write_bytes(const fs::path& p, const std::vector<unsigned char>& bytes) { write_file(p, bytes, false); }

// bytes as one gzip member (RFC 1952) made in memory; level 0 stores them uncompressed, so a flipped
// data byte leaves the deflate stream valid and only the trailer's CRC-32 can notice it.
std::vector<unsigned char> gzip_member(const std::vector<unsigned char>& bytes, int level) {
  z_stream s{};
  REQUIRE(deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::vector<unsigned char> out(deflateBound(&s, static_cast<uLong>(bytes.size())) + 64);
  s.next_in = const_cast<unsigned char*>(bytes.data());
  s.avail_in = static_cast<uInt>(bytes.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&s, Z_FINISH) == Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

// Occurrences of `what` in s.
std::size_t count_of(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}


}  // namespace

TEST_CASE("idx: reads plain and gzip files; normalises images") {
  temp_dir tmp;
  std::vector<unsigned char> pixels(3 * 2 * 2);
  std::iota(pixels.begin(), pixels.end(), 0);
  pixels[5] = 255;
  for (bool gz : {false, true}) {
    const fs::path img = tmp.path / (gz ? "i.gz" : "i"), lab = tmp.path / (gz ? "l.gz" : "l");
    write_file(img, idx_bytes(0x803, {3, 2, 2}, pixels), gz);
    write_file(lab, idx_bytes(0x801, {3}, {2, 0, 9}), gz);
    const dataset d = load_idx(img, lab, {.normalize = false});
    CHECK(d.size() == 3);
    CHECK(shape_of(d.images) == shape4{3, 1, 2, 2});
    CHECK(d.labels == std::vector<std::int32_t>{2, 0, 9});
    CHECK(d.images(1, 0, 0, 1) == doctest::Approx(1.0));
    CHECK(d.images(0, 0, 1, 0) == doctest::Approx(2.0 / 255));
    const dataset n = load_idx(img, lab, {.limit = 2});
    CHECK(n.size() == 2);
    CHECK(n.images(0, 0, 0, 0) == doctest::Approx(-0.2860 / 0.3530));
    CHECK(n.background == doctest::Approx(-0.2860 / 0.3530));
  }
}

TEST_CASE("idx: missing file, wrong magic, truncated data, count mismatch and bad labels are errors naming the file") {
  temp_dir tmp;
  const fs::path img = tmp.path / "img.gz", lab = tmp.path / "lab.gz", bad = tmp.path / "bad.gz", trunc = tmp.path / "trunc.gz";
  write_file(img, idx_bytes(0x803, {4, 2, 2}, std::vector<unsigned char>(16, 7)), true);
  write_file(lab, idx_bytes(0x801, {3}, {1, 2, 3}), true);
  write_file(bad, idx_bytes(0x801, {4, 2, 2}, std::vector<unsigned char>(16, 7)), true);
  write_file(trunc, idx_bytes(0x803, {4, 2, 2}, std::vector<unsigned char>(10, 7)), true);

  std::string m = test_support::error_of<moo::io_error>([&] { read_idx((tmp.path / "nope.gz").string(), 3); });
  CHECK(m.find("nope.gz") != std::string::npos);
  m = test_support::error_of<moo::io_error>([&] { read_idx(bad.string(), 3); });
  CHECK(m.find("bad.gz") != std::string::npos);
  CHECK(m.find("magic") != std::string::npos);
  m = test_support::error_of<moo::io_error>([&] { read_idx(trunc.string(), 3); });
  CHECK(m.find("trunc.gz") != std::string::npos);
  CHECK(m.find("truncated") != std::string::npos);
  // A gzip stream cut in the middle.
  {
    std::ifstream in(img, std::ios::binary);
    std::vector<char> all((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(tmp.path / "cut.gz", std::ios::binary).write(all.data(), std::streamsize(all.size() / 2));
  }
  m = test_support::error_of<moo::io_error>([&] { read_idx((tmp.path / "cut.gz").string(), 3); });
  CHECK(m.find("cut.gz") != std::string::npos);
  m = test_support::error_of<moo::io_error>([&] { load_idx(img, lab); });
  CHECK(m.find("img.gz") != std::string::npos);
  CHECK(m.find("lab.gz") != std::string::npos);
  CHECK(m.find("4 images") != std::string::npos);
  write_file(lab, idx_bytes(0x801, {4}, {1, 2, 3, 10}), true);
  m = test_support::error_of<moo::io_error>([&] { load_idx(img, lab); });
  CHECK(m.find("lab.gz") != std::string::npos);
  CHECK(m.find("label 10") != std::string::npos);
  // A header whose dimensions multiply past 2^64 (to 0 if unchecked), and one that claims 16 GiB of
  // data in a tiny file: both refused as io_error naming the file, without allocating the claim.
  write_file(tmp.path / "wrap.idx", idx_bytes(0x803, {1u << 17, 1u << 16, 1u << 31}, {}), false);
  m = test_support::error_of<moo::io_error>([&] { read_idx((tmp.path / "wrap.idx").string(), 3); });
  CHECK(m.find("wrap.idx") != std::string::npos);
  CHECK(m.find("implausible") != std::string::npos);
  write_file(tmp.path / "huge.idx", idx_bytes(0x803, {65536, 512, 512}, {1, 2, 3}), false);
  m = test_support::error_of<moo::io_error>([&] { read_idx((tmp.path / "huge.idx").string(), 3); });
  CHECK(m.find("huge.idx") != std::string::npos);
  CHECK(m.find("truncated") != std::string::npos);
  m = test_support::error_of<moo::io_error>([&] { load_fashion_mnist((tmp.path / "fmnist").string()); });
  CHECK(m.find("fmnist/train-images-idx3-ubyte.gz") != std::string::npos);
  CHECK(m.find("dataset-fashion-mnist") != std::string::npos);
}

TEST_CASE("idx: a directory, a corrupt gzip stream, a damaged or missing gzip trailer and trailing bytes are "
          "refused, naming the file once and what is wrong") {
  temp_dir tmp;
  std::vector<unsigned char> pixels(4 * 5 * 5);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>(i * 37 % 251);
  const auto raw = idx_bytes(0x803, {4, 5, 5}, pixels);
  const auto packed = gzip_member(raw, 9), stored = gzip_member(raw, 0);
  auto with = [&](const std::string& name, const std::vector<unsigned char>& bytes) {
    write_bytes(tmp.path / name, bytes);
    return (tmp.path / name).string();
  };
  auto refused = [&](const std::string& path) {
    const std::string m = test_support::error_of<moo::io_error>([&] { read_idx(path, 3); });
    MESSAGE(m);
    CHECK(count_of(m, path) == 1);
    return m;
  };
  // The well-formed files read back the pixels, so what follows fails for its damage alone.
  CHECK(read_idx(with("good.gz", packed), 3).bytes == pixels);
  CHECK(read_idx(with("good-stored.gz", stored), 3).bytes == pixels);
  CHECK(read_idx(with("good", raw), 3).bytes == pixels);

  SUBCASE("a directory is called a directory, not a missing file") {
    fs::create_directories(tmp.path / "dir.gz");
    const std::string m = refused((tmp.path / "dir.gz").string());
    CHECK(m.find("directory") != std::string::npos);
    CHECK(m.find("no such file") == std::string::npos);
  }
  SUBCASE("a corrupt deflate stream names the file once and zlib's reason") {
    auto bad = packed;
    bad[10] |= 0x06;  // the first block's type becomes 3, which does not exist
    const std::string m = refused(with("corrupt.gz", bad));
    CHECK(m.find("corrupt") != std::string::npos);
    CHECK(m.find("invalid block type") != std::string::npos);
  }
  SUBCASE("a damaged data byte is caught by the trailer's CRC-32") {
    auto bad = stored;
    bad[bad.size() - 8 - 20] ^= 0x10;  // a pixel inside the stored block
    const std::string m = refused(with("flipped.gz", bad));
    CHECK(m.find("CRC-32") != std::string::npos);
  }
  SUBCASE("a damaged CRC-32 or length in the trailer") {
    auto crc = packed;
    crc[crc.size() - 8] ^= 0x01;
    CHECK(refused(with("crc.gz", crc)).find("CRC-32") != std::string::npos);
    auto isize = packed;
    isize[isize.size() - 1] ^= 0x01;
    CHECK(refused(with("isize.gz", isize)).find("length") != std::string::npos);
  }
  SUBCASE("a missing or short trailer") {
    for (std::size_t cut : {8, 5, 1}) {
      CAPTURE(cut);
      for (const auto* src : {&packed, &stored}) {
        const std::vector<unsigned char> bad(src->begin(), src->end() - std::ptrdiff_t(cut));
        const std::string m = refused(with("short.gz", bad));
        CHECK(m.find("trailer") != std::string::npos);
      }
    }
  }
  SUBCASE("bytes after the IDX payload, raw and compressed") {
    auto extra = raw;
    extra.insert(extra.end(), {1, 2, 3});
    std::string m = refused(with("extra", extra));
    CHECK(m.find("3 bytes after") != std::string::npos);
    m = refused(with("extra.gz", gzip_member(extra, 6)));
    CHECK(m.find("after") != std::string::npos);
  }
  SUBCASE("bytes after the gzip stream that are not another gzip member") {
    auto bad = packed;
    bad.insert(bad.end(), {'j', 'u', 'n', 'k'});
    const std::string m = refused(with("junk.gz", bad));
    CHECK(m.find("after the gzip") != std::string::npos);
  }
  SUBCASE("several gzip members are one stream (as gzip -d reads them), and the whole is checked") {
    const std::size_t half = raw.size() / 2;
    auto multi = gzip_member({raw.begin(), raw.begin() + std::ptrdiff_t(half)}, 6);
    const auto second = gzip_member({raw.begin() + std::ptrdiff_t(half), raw.end()}, 0);
    multi.insert(multi.end(), second.begin(), second.end());
    CHECK(read_idx(with("multi.gz", multi), 3).bytes == pixels);
    multi[multi.size() - 8 - 3] ^= 0x40;  // a pixel in the second member
    CHECK(refused(with("multi-bad.gz", multi)).find("CRC-32") != std::string::npos);
  }
}

TEST_CASE("fashion-mnist: the Debian package's files load with the documented sizes") {
  if (!fs::exists(fashion_mnist_dir)) {
    MESSAGE("skipped: " << fashion_mnist_dir << " not installed (apt install dataset-fashion-mnist)");
    return;
  }
  const fashion_mnist f = load_fashion_mnist();
  CHECK(shape_of(f.train.images) == shape4{60000, 1, 28, 28});
  CHECK(shape_of(f.test.images) == shape4{10000, 1, 28, 28});
  std::vector<int> counts(10, 0);
  for (auto l : f.train.labels) ++counts[std::size_t(l)];
  CHECK(std::all_of(counts.begin(), counts.end(), [](int c) { return c == 6000; }));
  double mean = 0.0, sq = 0.0;
  for (float v : f.train.images) {
    mean += v;
    sq += double(v) * v;
  }
  mean /= double(f.train.images.size());
  CHECK(std::abs(mean) < 0.01);                                           // normalised with the training mean
  CHECK(std::sqrt(sq / double(f.train.images.size()) - mean * mean) == doctest::Approx(1.0).epsilon(0.01));
}

TEST_CASE("split: seeded, disjoint, complete") {
  const dataset d = synthetic_dataset({.samples = 100, .classes = 3, .height = 4, .width = 4, .seed = 3});
  dataset numbered = d;
  for (std::size_t i = 0; i < d.size(); ++i) numbered.images(i, 0, 0, 0) = float(i);
  auto [tr, va] = split(numbered, 0.2, 42);
  CHECK(tr.size() == 80);
  CHECK(va.size() == 20);
  std::set<int> ids;
  for (std::size_t i = 0; i < 80; ++i) ids.insert(int(tr.images(i, 0, 0, 0)));
  for (std::size_t i = 0; i < 20; ++i) ids.insert(int(va.images(i, 0, 0, 0)));
  CHECK(ids.size() == 100);
  auto [tr2, va2] = split(numbered, 0.2, 42);
  CHECK(std::equal(va.images.begin(), va.images.end(), va2.images.begin()));
  auto [tr3, va3] = split(numbered, 0.2, 43);
  CHECK(!std::equal(va.images.begin(), va.images.end(), va3.images.begin()));
  CHECK(va.labels[0] == d.labels[std::size_t(va.images(0, 0, 0, 0))]);
  CHECK_THROWS_AS(split(d, 1.5, 1), moo::value_error);
}

TEST_CASE("data_loader: batches, shuffling per epoch, drop_last, crop and flip") {
  dataset d = synthetic_dataset({.samples = 10, .classes = 2, .height = 3, .width = 3});
  for (std::size_t i = 0; i < 10; ++i) d.images(i, 0, 0, 0) = float(i);
  data_loader l(d, {.batch_size = 4, .seed = 9});
  CHECK(l.batches() == 3);
  batch b;
  std::vector<int> sizes, first, second;
  while (l.next(b)) {
    sizes.push_back(int(b.size()));
    for (std::size_t i = 0; i < b.size(); ++i) first.push_back(int(b.images(i, 0, 0, 0)));
  }
  CHECK(sizes == std::vector<int>{4, 4, 2});
  l.reset();
  while (l.next(b))
    for (std::size_t i = 0; i < b.size(); ++i) second.push_back(int(b.images(i, 0, 0, 0)));
  CHECK(first != second);
  std::sort(first.begin(), first.end());
  std::vector<int> all(10);
  std::iota(all.begin(), all.end(), 0);
  CHECK(first == all);
  data_loader dl(d, {.batch_size = 4, .drop_last = true});
  CHECK(dl.batches() == 2);
  int n = 0;
  while (dl.next(b)) ++n;
  CHECK(n == 2);

  // Augmentation of a 1 x 3 x 3 image 0..8: every output is a shifted (and maybe mirrored) copy
  // with background fill.
  dataset one;
  one.classes = 1;
  one.background = -1.0f;
  one.images = tensor::from_shape({1, 1, 3, 3});
  for (std::size_t i = 0; i < 9; ++i) one.images.data()[i] = float(i);
  one.labels = {0};
  data_loader aug(one, {.batch_size = 1, .shuffle = false, .crop_padding = 1, .horizontal_flip = true, .seed = 4});
  std::set<std::vector<float>> seen;
  for (int e = 0; e < 200; ++e) {
    aug.reset();
    REQUIRE(aug.next(b));
    seen.insert(std::vector<float>(b.images.begin(), b.images.end()));
    const float c = b.images(0, 0, 1, 1);  // the centre always comes from the image
    CHECK(c >= 0.0f);
  }
  CHECK(seen.size() == 18);  // 9 shifts x 2 mirrorings
  CHECK(seen.count({0, 1, 2, 3, 4, 5, 6, 7, 8}) == 1);
  CHECK(seen.count({2, 1, 0, 5, 4, 3, 8, 7, 6}) == 1);
  CHECK(seen.count({-1, -1, -1, -1, 0, 1, -1, 3, 4}) == 1);
}

TEST_CASE("idx: a zero dimension does not hide huge others (fuzz finding: 0 images of (2^32-1)^2 pixels)") {
  temp_dir tmp;
  const fs::path p = tmp.path / "zero_images_huge_rows_cols.idx";
  write_bytes(p, idx_bytes(0x803, {0, 0xffffffffu, 0xffffffffu}, {}));
  CHECK_THROWS_WITH_AS(read_idx(p.string(), 3), doctest::Contains("implausible dimensions"), moo::io_error);
}
