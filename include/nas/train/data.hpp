// Data for training: labelled image sets in NCHW float32, the IDX reader (gzip through zlib) for
// Fashion-MNIST as installed by Debian's dataset-fashion-mnist, a seeded train/validation split, a
// batch loader with shuffling and augmentation (random crop with padding, horizontal flip), and a
// small generated data set for tests.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <string_view>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <zlib.h>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

// Images (N x C x H x W) with one class label each.
struct dataset {
  tensor images;
  std::vector<std::int32_t> labels;
  std::size_t classes = 0;
  float background = 0.0f;  // value of a black pixel after normalisation (used to pad random crops)

  std::size_t size() const { return labels.size(); }
  // Shape of one image: {1, C, H, W}.
  shape4 sample_shape() const { return {1, images.shape()[1], images.shape()[2], images.shape()[3]}; }
};

// Raw contents of an IDX file: dimensions and unsigned bytes.
struct idx_data {
  std::vector<std::size_t> dims;
  std::vector<std::uint8_t> bytes;
};

namespace detail {

// The bytes of an IDX file as they are read: a plain file, or a gzip file (RFC 1952) inflated on the
// fly by zlib, which checks each member's trailer (the CRC-32 and the length, ISIZE, of the data) once
// the member's end is reached. Several gzip members in a row are one stream, as gzip -d reads them;
// anything else after the last member is refused, as is a member whose trailer is missing or short.
// Errors are io_errors that name the file once and say what is wrong.
class idx_stream {
 public:
  explicit idx_stream(std::string path) : path_(std::move(path)) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path_, ec);
    if (st.type() == fs::file_type::not_found) fail("no such file");
    if (ec) fail(moo::detail::message("cannot inspect: ", ec.message()));
    if (st.type() == fs::file_type::directory) fail("is a directory, not an IDX file");
    if (st.type() != fs::file_type::regular) fail("is not a regular file");
    file_ = std::fopen(path_.c_str(), "rb");
    if (file_ == nullptr) fail(moo::detail::message("cannot open: ", std::strerror(errno)));
    fill();
    gzip_ = have_ >= 2 && in_[0] == 0x1f && in_[1] == 0x8b;
    if (gzip_) {
      if (inflateInit2(&z_, 15 + 16) != Z_OK) fail("cannot start zlib");  // 15 + 16: gzip wrapper only
      z_open_ = true;
    }
  }
  idx_stream(const idx_stream&) = delete;
  idx_stream& operator=(const idx_stream&) = delete;
  ~idx_stream() {
    if (z_open_) inflateEnd(&z_);
    if (file_ != nullptr) std::fclose(file_);
  }

  [[noreturn]] void fail(std::string_view what) const {
    throw moo::io_error(moo::detail::message(path_, ": ", what));
  }

  // Reads exactly n bytes of `what` (the header, the data) or fails saying how many arrived.
  void read(unsigned char* dst, std::size_t n, const char* what) {
    std::size_t got = 0;
    while (got < n) {
      const std::size_t k = produce(dst + got, n - got, what);
      if (k == 0)
        fail(moo::detail::message("truncated: expected ", n, " bytes of ", what, ", got ", got));
      got += k;
    }
  }

  // Fails unless nothing follows the `payload` bytes read so far (which drives the last gzip member to
  // its end, so its trailer is checked). Counts at most 1 MiB of what follows.
  void expect_end(std::size_t payload) {
    unsigned char extra[4096];
    std::size_t more = 0;
    while (more <= (std::size_t{1} << 20))
      if (const std::size_t k = produce(extra, sizeof extra, "the end of the file"); k != 0)
        more += k;
      else
        break;
    if (more != 0)
      fail(moo::detail::message("holds ", more > (std::size_t{1} << 20) ? "more than 1 MiB" : std::to_string(more) + " bytes",
                                " after the ", payload, " bytes that its header announces",
                                gzip_ ? " (in its uncompressed data)" : ""));
  }

 private:
  // Moves the unread input to the front of the buffer and tops it up from the file; false at its end.
  bool fill() {
    if (pos_ > 0) {
      std::memmove(in_.data(), in_.data() + pos_, have_ - pos_);
      have_ -= pos_;
      pos_ = 0;
    }
    if (have_ == in_.size()) return true;
    const std::size_t k = std::fread(in_.data() + have_, 1, in_.size() - have_, file_);
    if (k == 0 && std::ferror(file_)) fail(moo::detail::message("read error: ", std::strerror(errno)));
    have_ += k;
    return k > 0;
  }

  // Writes up to n bytes of the (uncompressed) stream into dst and returns how many: 0 only at its end.
  std::size_t produce(unsigned char* dst, std::size_t n, const char* what) {
    if (!gzip_) {
      if (pos_ == have_ && !fill()) return 0;
      const std::size_t k = std::min(n, have_ - pos_);
      std::memcpy(dst, in_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    while (true) {
      if (member_done_) {
        // Between members: the end of the file, another member, or bytes that do not belong.
        if (have_ - pos_ < 2) fill();
        if (pos_ == have_) return 0;
        if (have_ - pos_ < 2 || in_[pos_] != 0x1f || in_[pos_ + 1] != 0x8b)
          fail("holds bytes after the gzip stream that are not another gzip member");
        if (inflateReset(&z_) != Z_OK) fail("cannot restart zlib");
        member_done_ = false;
      }
      // A missing or short trailer, or deflate data cut before it, all end the file inside the member.
      if (pos_ == have_ && !fill())
        fail(moo::detail::message("truncated gzip stream: the file ends before the gzip trailer (CRC-32 and "
                                  "length) that closes it is complete, while reading ", what));
      z_.next_in = in_.data() + pos_;
      z_.avail_in = static_cast<uInt>(have_ - pos_);
      z_.next_out = dst;
      z_.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
      const int r = inflate(&z_, Z_NO_FLUSH);
      pos_ = have_ - z_.avail_in;
      const std::size_t k = static_cast<std::size_t>(z_.next_out - dst);
      if (r == Z_STREAM_END) member_done_ = true;  // zlib has checked the trailer's CRC-32 and length
      else if (r == Z_DATA_ERROR) fail(corruption(what));
      else if (r == Z_MEM_ERROR) throw std::bad_alloc();
      else if (r != Z_OK && r != Z_BUF_ERROR) fail(moo::detail::message("zlib error ", r, " while reading ", what));
      if (k > 0) return k;
    }
  }

  // What zlib found wrong, in words that say which part of the file is bad.
  std::string corruption(const char* what) const {
    const std::string_view m = z_.msg != nullptr ? z_.msg : "corrupt data";
    if (m == "incorrect data check")
      return moo::detail::message("corrupt gzip stream: the data does not match the CRC-32 in its gzip trailer, "
                                  "while reading ", what);
    if (m == "incorrect length check")
      return moo::detail::message("corrupt gzip stream: the data's length does not match the length (ISIZE) in "
                                  "its gzip trailer, while reading ", what);
    return moo::detail::message("corrupt gzip stream (", m, "), while reading ", what);
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<unsigned char> in_ = std::vector<unsigned char>(std::size_t{1} << 16);  // input buffer
  std::size_t pos_ = 0, have_ = 0;  // unread input is in_[pos_, have_)
  bool gzip_ = false;
  z_stream z_{};
  bool z_open_ = false;
  bool member_done_ = false;  // the current gzip member has ended (trailer checked)
};

}  // namespace detail

// Reads an IDX file of unsigned bytes (gzip-compressed or not) and checks that it has `rank`
// dimensions and holds exactly the bytes its header announces. Throws io_error naming the file when it
// is missing or a directory, has a wrong magic number, is truncated, corrupt (a gzip stream is checked
// against its trailer's CRC-32 and length), or has bytes after its data.
inline idx_data read_idx(const std::string& path, std::size_t rank) {
  detail::idx_stream in(path);
  unsigned char magic[4];
  in.read(magic, 4, "the header");
  const unsigned expected = 0x800u | static_cast<unsigned>(rank);
  const unsigned got = (unsigned(magic[0]) << 24) | (unsigned(magic[1]) << 16) | (unsigned(magic[2]) << 8) | magic[3];
  if (got != expected)
    in.fail(moo::detail::message("wrong magic number 0x", std::hex, got, ", expected 0x", expected,
                                 " (an IDX file of unsigned bytes with ", std::dec, rank, " dimensions)"));
  idx_data d;
  std::size_t total = 1;
  std::size_t bound = 1;  // the product with zero dimensions counted as 1: a 0 does not hide a huge other
  for (std::size_t i = 0; i < rank; ++i) {
    unsigned char b[4];
    in.read(b, 4, "the header");
    const std::size_t n = (std::size_t(b[0]) << 24) | (std::size_t(b[1]) << 16) | (std::size_t(b[2]) << 8) | b[3];
    d.dims.push_back(n);
    // Checked before multiplying, so the product cannot wrap around.
    if (n != 0 && bound > (std::size_t{1} << 34) / n)
      in.fail(moo::detail::message("implausible dimensions in the header (dimension ", i, " = ", n,
                                   " makes more than 2^34 bytes)"));
    if (n != 0) bound *= n;
    total *= n;
  }
  // Read in chunks, so a truncated file fails after what it holds instead of allocating the header's claim.
  constexpr std::size_t chunk = std::size_t{1} << 20;
  while (d.bytes.size() < total) {
    const std::size_t old = d.bytes.size(), k = std::min(chunk, total - old);
    d.bytes.resize(old + k);
    in.read(d.bytes.data() + old, k, "the data");
  }
  in.expect_end(4 + 4 * rank + total);
  return d;
}

struct idx_options {
  std::size_t limit = 0;  // keep only the first `limit` samples (0: all)
  bool normalize = true;  // (pixel / 255 - mean) / stddev instead of pixel / 255
  float mean = 0.2860f;   // Fashion-MNIST training-set statistics
  float stddev = 0.3530f;
  std::size_t classes = 10;
};

// Loads an IDX image file (N x H x W) and its IDX label file into a data set of N x 1 x H x W images.
// Throws io_error when the counts differ or a label is out of range, naming the files.
inline dataset load_idx(const std::string& images_path, const std::string& labels_path, const idx_options& o = {}) {
  const idx_data img = read_idx(images_path, 3);
  const idx_data lab = read_idx(labels_path, 1);
  if (img.dims[0] != lab.dims[0])
    throw moo::io_error(moo::detail::message(images_path, " holds ", img.dims[0], " images but ", labels_path, " holds ",
                                             lab.dims[0], " labels"));
  const std::size_t n = o.limit == 0 ? img.dims[0] : std::min(o.limit, img.dims[0]);
  const std::size_t h = img.dims[1], w = img.dims[2];
  if (h == 0 || w == 0)
    throw moo::io_error(moo::detail::message(images_path, ": images of ", h, " x ", w, " pixels"));
  dataset d;
  d.classes = o.classes;
  d.images = tensor::from_shape({n, 1, h, w});
  const float scale = o.normalize ? 1.0f / (255.0f * o.stddev) : 1.0f / 255.0f;
  const float shift = o.normalize ? -o.mean / o.stddev : 0.0f;
  for (std::size_t i = 0; i < n * h * w; ++i) d.images.data()[i] = static_cast<float>(img.bytes[i]) * scale + shift;
  d.background = shift;
  d.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (lab.bytes[i] >= o.classes)
      throw moo::io_error(moo::detail::message(labels_path, ": label ", int(lab.bytes[i]), " of sample ", i,
                                               " is not below the ", o.classes, " classes"));
    d.labels[i] = lab.bytes[i];
  }
  return d;
}

// Where Debian's dataset-fashion-mnist package installs the data.
inline constexpr const char* fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

struct fashion_mnist {
  dataset train;  // 60,000 images
  dataset test;   // 10,000 images
};

// Loads Fashion-MNIST (train-images-idx3-ubyte.gz etc.) from dir (empty: fashion_mnist_dir); the
// uncompressed files are accepted too. A missing file is an io_error that names the path and the
// Debian package that provides it.
inline fashion_mnist load_fashion_mnist(const std::string& dir = fashion_mnist_dir, idx_options train_opt = {},
                                        idx_options test_opt = {}) {
  namespace fs = std::filesystem;
  const fs::path root = dir.empty() ? fs::path(fashion_mnist_dir) : fs::path(dir);
  auto file = [&](const char* name) {
    const fs::path p = root / name;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec) && !fs::is_regular_file(fs::path(p).replace_extension(), ec))
      throw moo::io_error(moo::detail::message("Fashion-MNIST file ", p.string(), " not found; install the Debian "
                                               "package dataset-fashion-mnist (apt install dataset-fashion-mnist) or "
                                               "pass the directory that holds the IDX files"));
    return fs::is_regular_file(p, ec) ? p.string() : fs::path(p).replace_extension().string();
  };
  const std::string train_images = file("train-images-idx3-ubyte.gz");
  const std::string train_labels = file("train-labels-idx1-ubyte.gz");
  const std::string test_images = file("t10k-images-idx3-ubyte.gz");
  const std::string test_labels = file("t10k-labels-idx1-ubyte.gz");
  fashion_mnist f;
  f.train = load_idx(train_images, train_labels, train_opt);
  f.test = load_idx(test_images, test_labels, test_opt);
  return f;
}

// The samples of d at the given indices, in that order.
inline dataset subset(const dataset& d, std::span<const std::size_t> indices) {
  const shape4 s = d.sample_shape();
  const std::size_t per = s[1] * s[2] * s[3];
  dataset out;
  out.classes = d.classes;
  out.background = d.background;
  out.images = tensor::from_shape({indices.size(), s[1], s[2], s[3]});
  out.labels.resize(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= d.size())
      throw moo::value_error(moo::detail::message("subset: index ", indices[i], " outside a data set of ", d.size()));
    std::memcpy(out.images.data() + i * per, d.images.data() + indices[i] * per, per * sizeof(float));
    out.labels[i] = d.labels[indices[i]];
  }
  return out;
}

// Splits d at random (seeded) into a training part and a validation part of round(fraction * N) samples.
inline std::pair<dataset, dataset> split(const dataset& d, double validation_fraction, std::uint64_t seed) {
  if (!(validation_fraction >= 0.0 && validation_fraction <= 1.0))
    throw moo::value_error(moo::detail::message("split: validation fraction ", validation_fraction, " is not in [0, 1]"));
  std::vector<std::size_t> idx(d.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  moo::rng r(seed);
  r.shuffle(idx.begin(), idx.end());
  const auto nv = static_cast<std::size_t>(std::llround(validation_fraction * static_cast<double>(d.size())));
  const std::span<const std::size_t> all(idx);
  return {subset(d, all.subspan(nv)), subset(d, all.first(nv))};
}

// A batch of images and labels; its buffers are reused by the loader.
struct batch {
  tensor images;
  std::vector<std::int32_t> labels;
  std::size_t size() const { return labels.size(); }
};

struct loader_options {
  std::size_t batch_size = 128;
  bool shuffle = true;
  bool drop_last = false;          // skip a final batch smaller than batch_size
  std::size_t crop_padding = 0;    // random crop of the original size from the image padded by this much
  bool horizontal_flip = false;    // mirror half of the images
  std::uint64_t seed = 1;
};

// Iterates over a data set in batches; shuffling and augmentation draw from its own seeded rng.
// Example: data_loader train(data.train, {.batch_size = 128, .seed = 7});
//          for (batch b; train.next(b);) { ... }  // then train.reset() for the next epoch
class data_loader {
 public:
  data_loader(const dataset& d, loader_options o) : data_(&d), opt_(o), rng_(o.seed) {
    if (opt_.batch_size == 0) throw moo::value_error("data_loader: batch_size must be positive");
    if (d.size() == 0) throw moo::value_error("data_loader: empty data set");
    order_.resize(d.size());
    reset();
  }

  // Starts a new epoch: reshuffles when shuffling.
  void reset() {
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    if (opt_.shuffle) rng_.shuffle(order_.begin(), order_.end());
    pos_ = 0;
  }

  // Batches per epoch.
  std::size_t batches() const {
    const std::size_t n = data_->size();
    return opt_.drop_last ? n / opt_.batch_size : (n + opt_.batch_size - 1) / opt_.batch_size;
  }

  // Fills b with the next batch; false when the epoch is over.
  bool next(batch& b) {
    const std::size_t n = data_->size();
    std::size_t m = std::min(opt_.batch_size, n - pos_);
    if (m == 0 || (opt_.drop_last && m < opt_.batch_size)) return false;
    const shape4 s = data_->sample_shape();
    ensure_shape(b.images, {m, s[1], s[2], s[3]});
    b.labels.resize(m);
    const std::size_t per = s[1] * s[2] * s[3];
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t src = order_[pos_ + i];
      b.labels[i] = data_->labels[src];
      float* dst = b.images.data() + i * per;
      const float* in = data_->images.data() + src * per;
      if (opt_.crop_padding == 0 && !opt_.horizontal_flip) {
        std::memcpy(dst, in, per * sizeof(float));
        continue;
      }
      augment(in, dst, s);
    }
    pos_ += m;
    return true;
  }

 private:
  // Random crop with padding and random horizontal flip of one C x H x W image.
  void augment(const float* in, float* out, const shape4& s) {
    const auto p = static_cast<std::ptrdiff_t>(opt_.crop_padding);
    const std::ptrdiff_t dy = p == 0 ? 0 : static_cast<std::ptrdiff_t>(rng_.index(2 * std::size_t(p) + 1)) - p;
    const std::ptrdiff_t dx = p == 0 ? 0 : static_cast<std::ptrdiff_t>(rng_.index(2 * std::size_t(p) + 1)) - p;
    const bool flip = opt_.horizontal_flip && rng_.bernoulli(0.5);
    const auto h = static_cast<std::ptrdiff_t>(s[2]), w = static_cast<std::ptrdiff_t>(s[3]);
    for (std::size_t c = 0; c < s[1]; ++c)
      for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          const std::ptrdiff_t sy = y + dy, sx0 = x + dx;
          const std::ptrdiff_t sx = flip ? w - 1 - sx0 : sx0;
          const bool inside = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w;
          out[(std::ptrdiff_t(c) * h + y) * w + x] = inside ? in[(std::ptrdiff_t(c) * h + sy) * w + sx] : data_->background;
        }
  }

  const dataset* data_;
  loader_options opt_;
  moo::rng rng_;
  std::vector<std::size_t> order_;
  std::size_t pos_ = 0;
};

struct synthetic_options {
  std::size_t samples = 512;
  std::size_t classes = 4;
  std::size_t channels = 1;
  std::size_t height = 12;
  std::size_t width = 12;
  double noise = 0.5;  // standard deviation of the pixel noise added to the class pattern
  std::uint64_t seed = 1;
};

// A small generated data set for tests: each class is a random pattern of 3x3-pixel blocks, each
// sample its class pattern under a random shift of up to one pixel plus Gaussian noise.
inline dataset synthetic_dataset(const synthetic_options& o) {
  if (o.classes < 2 || o.samples == 0 || o.channels == 0 || o.height < 3 || o.width < 3)
    throw moo::value_error("synthetic_dataset: needs >= 2 classes, >= 1 sample and channel, images of at least 3x3");
  moo::rng r(o.seed);
  const std::size_t per = o.channels * o.height * o.width;
  std::vector<float> patterns(o.classes * per);
  for (std::size_t k = 0; k < o.classes; ++k)
    for (std::size_t c = 0; c < o.channels; ++c)
      for (std::size_t by = 0; by < (o.height + 2) / 3; ++by)
        for (std::size_t bx = 0; bx < (o.width + 2) / 3; ++bx) {
          const float v = r.bernoulli(0.5) ? 1.0f : -1.0f;
          for (std::size_t y = by * 3; y < std::min(o.height, by * 3 + 3); ++y)
            for (std::size_t x = bx * 3; x < std::min(o.width, bx * 3 + 3); ++x)
              patterns[k * per + (c * o.height + y) * o.width + x] = v;
        }
  dataset d;
  d.classes = o.classes;
  d.images = tensor::from_shape({o.samples, o.channels, o.height, o.width});
  d.labels.resize(o.samples);
  for (std::size_t i = 0; i < o.samples; ++i) {
    const auto k = static_cast<std::size_t>(r.index(o.classes));
    d.labels[i] = static_cast<std::int32_t>(k);
    const auto sy = static_cast<std::ptrdiff_t>(r.index(3)) - 1, sx = static_cast<std::ptrdiff_t>(r.index(3)) - 1;
    const auto h = static_cast<std::ptrdiff_t>(o.height), w = static_cast<std::ptrdiff_t>(o.width);
    for (std::size_t c = 0; c < o.channels; ++c)
      for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          const std::ptrdiff_t yy = std::clamp<std::ptrdiff_t>(y + sy, 0, h - 1), xx = std::clamp<std::ptrdiff_t>(x + sx, 0, w - 1);
          d.images.data()[i * per + (std::ptrdiff_t(c) * h + y) * w + x] =
              patterns[k * per + (std::ptrdiff_t(c) * h + yy) * w + xx] + static_cast<float>(o.noise * r.normal());
        }
  }
  return d;
}

}  // namespace nas::train
