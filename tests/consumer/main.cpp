// Uses the installed architecture search through moo::nas: a 2x2 product through cblas_sgemm (links
// OpenBLAS through moo::openblas) and a gzip-compressed IDX file read back (links zlib).
#include <nas/train/data.hpp>
#include <nas/train/gemm.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <zlib.h>

int main() {
  const float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8};
  float c[4] = {};
  nas::train::detail::sgemm_blas(false, false, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
  std::printf("sgemm: %g %g %g %g\n", c[0], c[1], c[2], c[3]);
  if (c[0] != 19 || c[1] != 22 || c[2] != 43 || c[3] != 50) {
    std::printf("wrong product, expected 19 22 43 50\n");
    return 1;
  }

  const std::string path = (std::filesystem::temp_directory_path() / "moo_consumer.idx.gz").string();
  const unsigned char idx[] = {0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9};  // unsigned bytes, rank 1, dims {3}
  gzFile f = gzopen(path.c_str(), "wb");
  if (f == nullptr || gzwrite(f, idx, sizeof idx) != static_cast<int>(sizeof idx) || gzclose(f) != Z_OK) {
    std::printf("cannot write %s\n", path.c_str());
    return 1;
  }
  const auto d = nas::train::read_idx(path, 1);
  std::filesystem::remove(path);
  std::printf("idx: %zu bytes\n", d.bytes.size());
  if (d.dims != std::vector<std::size_t>{3} || d.bytes != std::vector<std::uint8_t>{7, 8, 9}) {
    std::printf("wrong IDX contents, expected dims {3} and bytes 7 8 9\n");
    return 1;
  }
  return 0;
}
