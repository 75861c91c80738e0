// Fuzz target: a saved super-network (nas/supernet/serialize.hpp: supernet_from_bytes). Each input is
// decoded as given and with its trailing CRC-32 recomputed (so mutations reach the options and weights
// behind the checksum). A network that loads must save back to bytes that load to the same bytes, and is
// used: for its smallest, largest and one drawn configuration the exact parameter and MAC counts must
// equal those of the extracted architecture, which runs forward and backward when small.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "arch_common.hpp"
#include "common.hpp"
#include "moo/core/rng.hpp"
#include "moo/io/codec.hpp"
#include "nas/supernet/serialize.hpp"

namespace {

[[noreturn]] void inconsistent(const char* what, const std::string& detail) {
  std::fprintf(stderr, "supernet fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

void use(const nas::supernet& net, std::uint64_t seed) {
  // Saved again, it loads to the same bytes.
  const std::string again = nas::supernet_to_bytes(net);
  try {
    if (nas::supernet_to_bytes(nas::supernet_from_bytes(again, "round trip")) != again)
      inconsistent("to_bytes(from_bytes(to_bytes(net))) differs from to_bytes(net)", net.description());
  } catch (const moo::error& e) {
    inconsistent("a loaded super-network does not save and load back", e.what());
  }
  moo::rng r(seed);
  for (const auto& x : {net.smallest(), net.largest(), net.random(r)}) {
    try {
      const auto a = net.extract(x);
      if (a.parameter_count() != net.parameter_count(x) || a.macs() != net.macs(x))
        inconsistent("counts differ from the extracted architecture's",
                     moo::detail::message(net.describe(x), ": params ", net.parameter_count(x), " vs ", a.parameter_count(),
                                          ", macs ", net.macs(x), " vs ", a.macs()));
      fuzz::use_architecture(a);
    } catch (const moo::error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = fuzz::bytes(data, size);
  std::string fixed(in);
  if (fixed.size() >= 4)
    fuzz::put_le(fixed, fixed.size() - 4, moo::io::codec::crc32(std::string_view(fixed).substr(0, fixed.size() - 4)), 4);
  for (const std::string_view b : {in, std::string_view(fixed)}) {
    try {
      use(nas::supernet_from_bytes(b, "fuzz.bin"), size);
    } catch (const moo::error&) {
    }
    if (fixed == in) break;
  }
  return 0;
}
