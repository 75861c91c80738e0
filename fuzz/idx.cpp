// Fuzz target: the IDX reader (nas/train/data.hpp: read_idx, load_idx), which reads files, raw or
// gzip-compressed. The first input byte chooses what is done with the rest:
//   bit 0: gzip-compress the files before writing them (the fuzzer then mutates the IDX structure
//          behind gzip; with bit 0 clear, seeds that are .gz files have their gzip stream mutated);
//   bit 1: load_idx on an image file and a label file (bytes 1-2, little-endian: the image file's
//          length; the rest: the label file), then one pass of an augmenting batch loader over the set;
//   bit 2: without bit 1, read_idx with rank 1 instead of 3.
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common.hpp"
#include "nas/train/data.hpp"

namespace {

void write_gzip(const std::filesystem::path& p, std::string_view content) {
  gzFile f = gzopen(p.c_str(), "wb1");
  if (f == nullptr) std::abort();
  if (!content.empty() && gzwrite(f, content.data(), static_cast<unsigned>(content.size())) <= 0) std::abort();
  if (gzclose(f) != Z_OK) std::abort();
}

std::string put(const char* name, std::string_view content, bool gzip) {
  const auto p = fuzz::scratch_dir("idx") / name;
  if (gzip)
    write_gzip(p, content);
  else
    fuzz::write_file(p, content);
  return p.string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned mode = data[0];
  const bool gzip = (mode & 1) != 0;
  std::string_view rest = fuzz::bytes(data + 1, size - 1);
  try {
    if ((mode & 2) == 0) {
      const std::size_t rank = (mode & 4) ? 1 : 3;
      const auto d = nas::train::read_idx(put("one", rest, gzip), rank);
      std::size_t n = 1;
      for (std::size_t k : d.dims) n *= k;
      if (d.dims.size() != rank || d.bytes.size() != n) std::abort();  // the reader broke its own contract
      return 0;
    }
    if (rest.size() < 2) return 0;
    const std::size_t len = std::min<std::size_t>(static_cast<unsigned char>(rest[0]) | (static_cast<unsigned char>(rest[1]) << 8),
                                                  rest.size() - 2);
    const std::string images = put("images", rest.substr(2, len), gzip);
    const std::string labels = put("labels", rest.substr(2 + len), gzip);
    const auto set = nas::train::load_idx(images, labels, {.classes = 10});
    if (set.size() == 0 || set.images.size() > (std::size_t{1} << 20)) return 0;
    nas::train::data_loader loader(set, {.batch_size = 3, .crop_padding = 2, .horizontal_flip = true, .seed = 1});
    for (nas::train::batch b; loader.next(b);) {
    }
  } catch (const moo::error&) {
  }
  return 0;
}
