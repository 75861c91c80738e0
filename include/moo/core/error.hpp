// Exceptions of moo: every failure that is the caller's fault is a moo::error whose message names the
// offending input and value.
#pragma once

#include <cmath>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

namespace moo {

// One or more evaluations of a batch threw. The message names each failed genome and its error;
// `objectives` keeps every result of the batch (failed rows are NaN) so nothing computed is lost.
class evaluation_error : public error {
 public:
  struct failure {
    std::size_t index;
    std::string genome;
    std::string what;
  };
  evaluation_error(std::string msg, std::vector<failure> failures, std::vector<double> objectives,
                   std::size_t objectives_per_row)
      : error(std::move(msg)),
        failures_(std::move(failures)),
        objectives_(std::move(objectives)),
        cols_(objectives_per_row) {}
  const std::vector<failure>& failures() const { return failures_; }
  // Row-major results of the whole batch (rows() x cols()), NaN where the evaluation failed.
  const std::vector<double>& objectives() const { return objectives_; }
  std::size_t cols() const { return cols_; }

 private:
  std::vector<failure> failures_;
  std::vector<double> objectives_;
  std::size_t cols_;
};

}  // namespace moo
