// Short printable descriptions of genomes for error messages.
#pragma once

#include <cstddef>
#include <sstream>
#include <string>
#include <type_traits>

namespace moo::detail {

// "[0.5, 0.25, ...]" for ranges of numbers (at most `limit` values), operator<< where it exists,
// otherwise the type's size.
template <class G>
std::string describe(const G& g, std::size_t limit = 12) {
  std::ostringstream os;
  os.precision(10);
  if constexpr (requires {
                  g.begin();
                  g.end();
                  g.size();
                  requires std::is_arithmetic_v<std::remove_cvref_t<decltype(*g.begin())>>;
                }) {
    os << '[';
    std::size_t i = 0;
    for (const auto& v : g) {
      if (i == limit) {
        os << ", ... (" << g.size() << " values)";
        break;
      }
      if (i++) os << ", ";
      os << v;
    }
    os << ']';
  } else if constexpr (requires { os << g; }) {
    os << g;
  } else {
    os << "<genome of " << sizeof(G) << " bytes>";
  }
  return os.str();
}

}  // namespace moo::detail
