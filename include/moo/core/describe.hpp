// Printable descriptions of genomes for error messages, exact enough to rebuild the genome: every value
// of a numeric range, each floating-point value in its shortest form that reads back to the same bits
// (std::to_chars), so a failing genome can be copied from a log and evaluated again.
// Example: describe(std::vector<double>{0.1, 1.0 / 3}) == "[0.1, 0.3333333333333333]"
#pragma once

#include <charconv>
#include <cstddef>
#include <sstream>
#include <string>
#include <system_error>
#include <type_traits>

namespace moo::detail {

// Appends v exactly: integers in full, floating-point values in their shortest round-trip form.
template <class T>
void append_exact(std::string& out, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    out += v ? "1" : "0";
  } else {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    if (ec == std::errc{}) {
      out.append(buf, end);
    } else {  // cannot happen for the arithmetic types and this buffer size; stay printable anyway
      std::ostringstream os;
      os.precision(40);
      os << +v;
      out += os.str();
    }
  }
}

// "[0.5, 0.25, 3]" for ranges of numbers (every value, exactly), operator<< where it exists, otherwise
// the type's size.
template <class G>
std::string describe(const G& g) {
  if constexpr (requires {
                  g.begin();
                  g.end();
                  requires std::is_arithmetic_v<std::remove_cvref_t<decltype(*g.begin())>>;
                }) {
    std::string out = "[";
    bool first = true;
    for (const auto& v : g) {
      if (!first) out += ", ";
      first = false;
      append_exact(out, static_cast<std::remove_cvref_t<decltype(v)>>(v));
    }
    out += ']';
    return out;
  } else if constexpr (requires(std::ostream& os) { os << g; }) {
    std::ostringstream os;
    os.precision(17);
    os << g;
    return os.str();
  } else {
    return "<genome of " + std::to_string(sizeof(G)) + " bytes>";
  }
}

}  // namespace moo::detail
