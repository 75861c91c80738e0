// Fuzz target: MODNAS's files. The first input byte picks the parser, the rest is the file:
//   even: a search checkpoint (nas/modnas/search.hpp: search::load), of the search in modnas_setup.hpp;
//   odd:  a saved hypernetwork (nas/modnas/hypernetwork.hpp: hypernetwork_from_bytes).
// Each file is decoded as given and with its trailing CRC-32 recomputed (so mutations reach what the
// checksum guards). A checkpoint that loads must save back to the same bytes and let the search take one
// more step (which may stop with moo::error, e.g. on non-finite weights); a failed load must leave the
// search as it was (it still saves to the bytes of a fresh search). A hypernetwork that loads must save
// back to the same bytes and run forward and backward on a zero input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "modnas_setup.hpp"
#include "moo/io/codec.hpp"
#include "nas/modnas/hypernetwork.hpp"

namespace {

[[noreturn]] void inconsistent(const char* what, const std::string& detail) {
  std::fprintf(stderr, "modnas fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::string saved(nas::modnas::search& s) {
  const auto p = fuzz::scratch_dir("modnas") / "saved.ckpt";
  s.save(p);
  return moo::io::read_file(p);
}

const std::string& fresh_bytes() {
  static const std::string b = [] {
    auto s = fuzz::modnas_search();
    return saved(s);
  }();
  return b;
}

void checkpoint(std::string_view file) {
  auto s = fuzz::modnas_search();
  const auto p = fuzz::scratch_dir("modnas") / "in.ckpt";
  fuzz::write_file(p, file);
  try {
    s.load(p);
  } catch (const moo::error&) {
    if (saved(s) != fresh_bytes()) inconsistent("a failed load changed the search", "");
    return;
  }
  if (saved(s) != std::string(file)) inconsistent("a loaded checkpoint does not save back to its bytes", "");
  try {
    s.step();
  } catch (const moo::error&) {
  }
}

void hypernetwork(std::string_view file) {
  nas::modnas::hypernetwork h;
  try {
    h = nas::modnas::hypernetwork_from_bytes(file, "fuzz.hpn");
  } catch (const moo::error&) {
    return;
  }
  const std::string again = nas::modnas::hypernetwork_to_bytes(h);
  if (again != std::string(file)) inconsistent("a loaded hypernetwork does not save back to its bytes", "");
  const auto& o = h.options();
  if (o.objectives + o.device_features > 4096 || o.edges * o.candidates > (1u << 16)) return;  // a valid but large one
  try {
    const std::vector<double> pref(o.objectives, 1.0 / static_cast<double>(o.objectives)), feat(o.device_features, 0.0);
    const auto& alpha = h.forward(pref, feat);
    h.zero_grad();
    h.backward(std::vector<double>(alpha.size(), 1.0));
  } catch (const moo::error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool hyper = (data[0] & 1) != 0;
  const std::string_view in = fuzz::bytes(data + 1, size - 1);
  std::string fixed(in);
  if (fixed.size() >= 4)
    fuzz::put_le(fixed, fixed.size() - 4, moo::io::codec::crc32(std::string_view(fixed).substr(0, fixed.size() - 4)), 4);
  for (const std::string_view b : {in, std::string_view(fixed)}) {
    if (hyper)
      hypernetwork(b);
    else
      checkpoint(b);
  }
  return 0;
}
