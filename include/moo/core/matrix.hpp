// A row-major matrix of doubles: the objective values of a set of points, one row per point.
// Pareto sorting, indicators and survival all take objective sets in this one layout.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"

namespace moo {

class matrix {
 public:
  matrix() = default;
  matrix(std::size_t rows, std::size_t cols, double value = 0.0)
      : data_(rows * cols, value), rows_(rows), cols_(cols) {}

  // Example: matrix f{{1, 2}, {2, 1}};
  matrix(std::initializer_list<std::initializer_list<double>> rows) {
    for (const auto& r : rows) push_back(std::span<const double>(r.begin(), r.size()));
  }

  // Builds from a vector of rows; all rows must have the same length.
  static matrix from_rows(const std::vector<std::vector<double>>& rows) {
    matrix m;
    if (!rows.empty()) m.reserve(rows.size(), rows.front().size());
    for (const auto& r : rows) m.push_back(r);
    return m;
  }

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  bool empty() const { return rows_ == 0; }

  double& operator()(std::size_t i, std::size_t j) { return data_[i * cols_ + j]; }
  double operator()(std::size_t i, std::size_t j) const { return data_[i * cols_ + j]; }

  std::span<double> row(std::size_t i) { return {data_.data() + i * cols_, cols_}; }
  std::span<const double> row(std::size_t i) const { return {data_.data() + i * cols_, cols_}; }
  std::span<const double> operator[](std::size_t i) const { return row(i); }

  double* data() { return data_.data(); }
  const double* data() const { return data_.data(); }
  const std::vector<double>& storage() const { return data_; }

  void reserve(std::size_t rows, std::size_t cols) { data_.reserve(rows * cols); }

  // Appends a row; the first row fixes the number of columns.
  void push_back(std::span<const double> r) {
    if (rows_ == 0 && cols_ == 0) cols_ = r.size();
    if (r.size() != cols_)
      throw dimension_error(detail::message("matrix::push_back: row ", rows_, " has ", r.size(),
                                            " values, expected ", cols_));
    data_.insert(data_.end(), r.begin(), r.end());
    ++rows_;
  }
  void push_back(const std::vector<double>& r) { push_back(std::span<const double>(r)); }

  void clear() {
    data_.clear();
    rows_ = 0;
  }

  // Rows selected by index, in the given order.
  template <class IndexRange>
  matrix select(const IndexRange& idx) const {
    matrix m;
    m.cols_ = cols_;
    m.data_.reserve(std::size(idx) * cols_);
    for (auto i : idx) {
      auto r = row(static_cast<std::size_t>(i));
      m.data_.insert(m.data_.end(), r.begin(), r.end());
      ++m.rows_;
    }
    return m;
  }

  std::vector<std::vector<double>> to_rows() const {
    std::vector<std::vector<double>> out(rows_);
    for (std::size_t i = 0; i < rows_; ++i) out[i].assign(row(i).begin(), row(i).end());
    return out;
  }

  // Throws value_error naming `what`, the row and the column of the first NaN or infinity.
  void require_finite(std::string_view what) const {
    for (std::size_t i = 0; i < rows_; ++i)
      for (std::size_t j = 0; j < cols_; ++j) detail::require_finite((*this)(i, j), what, i, j);
  }

  friend bool operator==(const matrix&, const matrix&) = default;

 private:
  std::vector<double> data_;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
};

}  // namespace moo
