// Exceptions of moo: every failure that is the caller's fault is a moo::error whose message names the
// offending input and value.
#pragma once

#include <cmath>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace moo {

// Base of every exception the library throws on bad input or failed I/O.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A value is out of its domain: NaN/inf objective, negative size, reference point not bounding a set.
class value_error : public error {
 public:
  using error::error;
};

// Sizes disagree: a point with 3 objectives in a 2-objective set, a genome of the wrong length.
class dimension_error : public error {
 public:
  using error::error;
};

// A file is missing, truncated, corrupt or of the wrong format.
class io_error : public error {
 public:
  using error::error;
};

namespace detail {

// Concatenates the arguments with operator<< into one message.
template <class... Args>
std::string message(const Args&... args) {
  std::ostringstream os;
  os.precision(17);
  (os << ... << args);
  return os.str();
}

// Throws value_error unless v is finite; `what` names where the value came from.
inline void require_finite(double v, std::string_view what, std::size_t row, std::size_t col) {
  if (!std::isfinite(v))
    throw value_error(message(what, ": non-finite value ", v, " at point ", row, ", objective ", col));
}

}  // namespace detail
}  // namespace moo
