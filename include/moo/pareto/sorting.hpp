// Non-dominated sorting (minimization): the Pareto rank of every point of an objective set, 0 for the
// non-dominated front, 1 for the front behind it, and so on. Identical points get the same rank.
//
// Algorithms, chosen by the number of objectives M:
//   M = 1  a sort (dense rank of the value);
//   M = 2  the O(N log N) front sweep of Jensen (IEEE TEC 7(5), 2003) with exact tie handling: binary
//          search over the last point of each front;
//   M = 3  the same sweep one dimension up, each front holding a 2-D staircase (Kung, Luccio & Preparata,
//          JACM 22(4), 1975), O(N log^2 N);
//   M >= 4 the divide and conquer of Jensen (2003) as generalized by Fortin, Grenier & Parizeau (GECCO
//          2013) and made tie-safe by Buzdalov & Shalyto (PPSN XIII, LNCS 8672, 2014), O(N log^(M-1) N).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <memory_resource>
#include <numeric>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/pareto/detail/radix_sort.hpp"

namespace moo {

// "No limit" for stop_after: rank every point.
inline constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

// The rank given to points that were not ranked because sorting stopped early (stop_after).
inline constexpr std::size_t unranked = std::numeric_limits<std::size_t>::max();

namespace detail::nds {

using index_t = std::uint32_t;

// Sorts the points by objective value: rank = number of distinct smaller values (dense rank).
inline void ranks_1d(const matrix& f, std::vector<std::size_t>& rank) {
  const std::size_t n = f.rows();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return f(a, 0) < f(b, 0) || (f(a, 0) == f(b, 0) && a < b); });
  std::size_t r = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && f(order[i], 0) != f(order[i - 1], 0)) ++r;
    rank[order[i]] = r;
  }
}

// Two objectives (Jensen 2003; the base case of Fortin et al. 2013): visit the points in
// lexicographic order, so a point can only be dominated by points visited before it. The last point
// added to a front has that front's smallest second objective, and those values ascend with the front
// number; a point q that differs from the point before it (equal points are adjacent, and share a rank)
// is dominated by front k iff that value is <= q's, so its rank is the number of such fronts: a binary
// search. The lexicographic order is a radix sort on the first objective with the rare runs of equal
// first objectives sorted by the second. Nothing is allocated per point.
inline void ranks_2d(const matrix& f, std::vector<std::size_t>& rank) {
  const std::size_t n = f.rows();
  const double* v = f.data();
  std::vector<keyed_index> order(n), scratch;
  for (std::size_t i = 0; i < n; ++i) order[i] = {order_key(v[2 * i]), static_cast<index_t>(i)};
  radix_sort(order, scratch);
  const auto by_y = [&](const keyed_index& a, const keyed_index& b) {
    return v[2 * a.index + 1] < v[2 * b.index + 1];
  };
  for (std::size_t i = 0, j = 0; i < n; i = j) {
    for (j = i + 1; j < n && order[j].key == order[i].key;) ++j;
    if (j - i > 1)
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(i),
                order.begin() + static_cast<std::ptrdiff_t>(j), by_y);
  }
  std::vector<double> last_y;  // per front, the second objective of its last point: ascending
  last_y.reserve(64);
  double px = 0, py = 0;
  std::size_t pr = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t q = order[i].index;
    const double x = v[2 * q], y = v[2 * q + 1];
    if (i > 0 && x == px && y == py) {
      rank[q] = pr;
      continue;
    }
    // The number of fronts whose last y is <= y. A branching binary search: consecutive points tend to
    // take similar paths, so its branches predict well (a branch-free search measured 2.5x slower).
    const std::size_t r = last_y.empty() || last_y.back() <= y
                              ? last_y.size()
                              : static_cast<std::size_t>(
                                    std::upper_bound(last_y.begin(), last_y.end() - 1, y) - last_y.begin());
    if (r == last_y.size())
      last_y.push_back(y);
    else
      last_y[r] = y;
    rank[q] = pr = r;
    px = x;
    py = y;
  }
}

// A Fenwick tree answering "largest value stored at a position <= i" (values > 0; 0 means empty).
class prefix_max_tree {
 public:
  explicit prefix_max_tree(std::size_t n) : tree_(n + 1, 0) {}

  index_t query(index_t i) const {
    index_t best = 0;
    for (std::size_t k = std::size_t{i} + 1; k > 0; k &= k - 1) best = std::max(best, tree_[k]);
    return best;
  }
  void update(index_t i, index_t value) {
    for (std::size_t k = std::size_t{i} + 1; k < tree_.size(); k += k & (~k + 1))
      tree_[k] = std::max(tree_[k], value);
  }
  // Clears every node on the update path of i; clearing all updated positions empties the tree.
  void reset(index_t i) {
    for (std::size_t k = std::size_t{i} + 1; k < tree_.size() && tree_[k] != 0; k += k & (~k + 1))
      tree_[k] = 0;
  }

 private:
  std::vector<index_t> tree_;
};

// Divide and conquer over objectives (Jensen 2003; Fortin et al. 2013, "generalized Jensen"; Buzdalov &
// Shalyto 2014, whose helper procedures A and B split at the median into <, ==, > so ties are exact).
// Points are distinct and numbered in lexicographic order, so p can dominate q only if p < q, and then
// p dominates q iff p[j] <= q[j] for every objective j >= 1 (objective 0 is settled by the order).
// Columns here are objectives 1..M-1; column 0 (objective 1) is also given as dense integer ranks so that
// the base-case sweep can use a Fenwick tree.
class divide_and_conquer {
 public:
  // values: n x dims row-major (dims = M - 1 >= 2); key0: dense rank of column 0; rank: output, zeroed.
  divide_and_conquer(const double* values, std::size_t dims, const index_t* key0, std::size_t n,
                     index_t* rank)
      : v_(values), dims_(dims), key0_(key0), rank_(rank), tree_(n), idx_(n), buf_(n), vals_(n) {}

  void run() {
    std::iota(idx_.begin(), idx_.end(), index_t{0});
    helper_a(0, idx_.size(), dims_ - 1);
  }

 private:
  // Below these sizes quadratic loops beat the recursion.
  static constexpr std::size_t brute_a = 32;
  static constexpr std::size_t brute_b = 8192;  // |L| * |H|

  double at(index_t i, std::size_t c) const { return v_[std::size_t{i} * dims_ + c]; }

  // p (numbered before q) weakly dominates q in columns 0..c.
  bool weakly_le(index_t p, index_t q, std::size_t c) const {
    const double* a = v_ + std::size_t{p} * dims_;
    const double* b = v_ + std::size_t{q} * dims_;
    for (std::size_t j = 0; j <= c; ++j)
      if (a[j] > b[j]) return false;
    return true;
  }

  // Ranks the points idx_[lo, hi) among themselves, comparing columns 0..c (the columns above c are
  // known to be ordered for every pair); each rank already accounts for dominators outside the range.
  void helper_a(std::size_t lo, std::size_t hi, std::size_t c) {
    const std::size_t n = hi - lo;
    if (n < 2) return;
    if (n <= brute_a) {
      for (std::size_t b = lo + 1; b < hi; ++b)
        for (std::size_t a = lo; a < b; ++a)
          if (weakly_le(idx_[a], idx_[b], c)) rank_[idx_[b]] = std::max(rank_[idx_[b]], rank_[idx_[a]] + 1);
      return;
    }
    if (c == 0) {
      sweep_a(lo, hi);
      return;
    }
    double mn = at(idx_[lo], c), mx = mn;
    for (std::size_t i = lo + 1; i < hi; ++i) {
      mn = std::min(mn, at(idx_[i], c));
      mx = std::max(mx, at(idx_[i], c));
    }
    if (mn == mx) {
      helper_a(lo, hi, c - 1);
      return;
    }
    const double m = median(lo, hi, lo, lo, c);
    const auto [e, g] = split(lo, hi, m, c);  // [lo,e) < m, [e,g) == m, [g,hi) > m
    helper_a(lo, e, c);
    helper_b(lo, e, e, g, c - 1);
    helper_a(e, g, c - 1);
    merge(lo, e, g);
    helper_b(lo, g, g, hi, c - 1);
    helper_a(g, hi, c);
    merge(lo, g, hi);
  }

  // Raises the ranks of idx_[h0, h1) by the final ranks of idx_[l0, l1), for each pair l numbered
  // before h with l <= h in columns 0..c (the columns above c are known to be ordered for every pair).
  void helper_b(std::size_t l0, std::size_t l1, std::size_t h0, std::size_t h1, std::size_t c) {
    if (l0 == l1 || h0 == h1) return;
    if (idx_[l0] > idx_[h1 - 1]) return;  // every l is numbered after every h
    if ((l1 - l0) * (h1 - h0) <= brute_b) {
      for (std::size_t h = h0; h < h1; ++h) {
        const index_t q = idx_[h];
        index_t r = rank_[q];
        for (std::size_t l = l0; l < l1 && idx_[l] < q; ++l)
          if (rank_[idx_[l]] >= r && weakly_le(idx_[l], q, c)) r = rank_[idx_[l]] + 1;
        rank_[q] = r;
      }
      return;
    }
    if (c == 0) {
      sweep_b(l0, l1, h0, h1);
      return;
    }
    double l_min = at(idx_[l0], c), l_max = l_min;
    for (std::size_t i = l0 + 1; i < l1; ++i) {
      l_min = std::min(l_min, at(idx_[i], c));
      l_max = std::max(l_max, at(idx_[i], c));
    }
    double h_min = at(idx_[h0], c), h_max = h_min;
    for (std::size_t i = h0 + 1; i < h1; ++i) {
      h_min = std::min(h_min, at(idx_[i], c));
      h_max = std::max(h_max, at(idx_[i], c));
    }
    if (l_max <= h_min) {
      helper_b(l0, l1, h0, h1, c - 1);
      return;
    }
    if (l_min > h_max) return;
    const double m = median(l0, l1, h0, h1, c);
    const auto [le, lg] = split(l0, l1, m, c);
    const auto [he, hg] = split(h0, h1, m, c);
    helper_b(l0, le, h0, he, c);
    helper_b(lg, l1, hg, h1, c);
    merge(l0, le, lg);
    merge(he, hg, h1);
    helper_b(l0, lg, he, h1, c - 1);
    merge(l0, lg, l1);
    merge(h0, he, h1);
  }

  // Base case with one column left: visit in numbering order, prefix maximum of ranks over column 0.
  void sweep_a(std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) {
      const index_t p = idx_[i];
      rank_[p] = std::max(rank_[p], tree_.query(key0_[p]));
      tree_.update(key0_[p], rank_[p] + 1);
    }
    for (std::size_t i = lo; i < hi; ++i) tree_.reset(key0_[idx_[i]]);
  }

  void sweep_b(std::size_t l0, std::size_t l1, std::size_t h0, std::size_t h1) {
    std::size_t l = l0;
    for (std::size_t h = h0; h < h1; ++h) {
      const index_t q = idx_[h];
      for (; l < l1 && idx_[l] < q; ++l) tree_.update(key0_[idx_[l]], rank_[idx_[l]] + 1);
      rank_[q] = std::max(rank_[q], tree_.query(key0_[q]));
    }
    for (std::size_t i = l0; i < l; ++i) tree_.reset(key0_[idx_[i]]);
  }

  // Median of column c over idx_[a0, a1) and idx_[b0, b1).
  double median(std::size_t a0, std::size_t a1, std::size_t b0, std::size_t b1, std::size_t c) {
    std::size_t k = 0;
    for (std::size_t i = a0; i < a1; ++i) vals_[k++] = at(idx_[i], c);
    for (std::size_t i = b0; i < b1; ++i) vals_[k++] = at(idx_[i], c);
    const auto mid = vals_.begin() + static_cast<std::ptrdiff_t>(k / 2);
    std::nth_element(vals_.begin(), mid, vals_.begin() + static_cast<std::ptrdiff_t>(k));
    return *mid;
  }

  // Stable three-way partition of idx_[lo, hi) by column c against m; returns the ends of < and ==.
  std::pair<std::size_t, std::size_t> split(std::size_t lo, std::size_t hi, double m, std::size_t c) {
    std::size_t n_less = 0, n_equal = 0;
    for (std::size_t i = lo; i < hi; ++i) {
      const double x = at(idx_[i], c);
      n_less += x < m;
      n_equal += x == m;
    }
    std::size_t a = 0, b = n_less, d = n_less + n_equal;
    for (std::size_t i = lo; i < hi; ++i) {
      const double x = at(idx_[i], c);
      if (x < m)
        buf_[a++] = idx_[i];
      else if (x == m)
        buf_[b++] = idx_[i];
      else
        buf_[d++] = idx_[i];
    }
    std::copy(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(hi - lo),
              idx_.begin() + static_cast<std::ptrdiff_t>(lo));
    return {lo + n_less, lo + n_less + n_equal};
  }

  // Merges the numbering-ordered runs idx_[lo, mid) and idx_[mid, hi).
  void merge(std::size_t lo, std::size_t mid, std::size_t hi) {
    if (lo == mid || mid == hi || idx_[mid - 1] < idx_[mid]) return;
    const auto first = idx_.begin();
    std::merge(first + static_cast<std::ptrdiff_t>(lo), first + static_cast<std::ptrdiff_t>(mid),
               first + static_cast<std::ptrdiff_t>(mid), first + static_cast<std::ptrdiff_t>(hi),
               buf_.begin());
    std::copy(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(hi - lo),
              first + static_cast<std::ptrdiff_t>(lo));
  }

  const double* v_;
  std::size_t dims_;
  const index_t* key0_;
  index_t* rank_;
  prefix_max_tree tree_;
  std::vector<index_t> idx_;
  std::vector<index_t> buf_;
  std::vector<double> vals_;
};

// The distinct points of f in lexicographic order, without objective 0 (which that order settles).
struct distinct_points {
  std::vector<double> values;      // u x (m - 1), row-major
  std::vector<index_t> unique_of;  // for each row of f, its distinct point
  std::size_t count = 0;           // u
};

// Sorts the rows of f lexicographically and merges identical rows (same rank by definition).
inline distinct_points lexicographic_distinct(const matrix& f) {
  const std::size_t n = f.rows();
  const std::size_t m = f.cols();
  if (n >= std::numeric_limits<index_t>::max())
    throw dimension_error(detail::message("non_dominated_ranks: ", n, " points exceed the limit of ",
                                          std::numeric_limits<index_t>::max() - 1));
  // -1, 0, 1 as row a is lexicographically before, equal to, after row b.
  const auto compare = [&](index_t a, index_t b) {
    const double* x = f.data() + std::size_t{a} * m;
    const double* y = f.data() + std::size_t{b} * m;
    for (std::size_t j = 0; j < m; ++j)
      if (x[j] != y[j]) return x[j] < y[j] ? -1 : 1;
    return 0;
  };
  // Sorting (objective 0, row) pairs keeps most comparisons in the array being sorted.
  std::vector<std::pair<double, index_t>> keyed(n);
  for (std::size_t i = 0; i < n; ++i) keyed[i] = {f(i, 0), static_cast<index_t>(i)};
  std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    const int c = compare(a.second, b.second);
    return c < 0 || (c == 0 && a.second < b.second);
  });
  std::vector<index_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = keyed[i].second;
  distinct_points d;
  d.unique_of.resize(n);
  d.values.reserve(n * (m - 1));
  for (std::size_t i = 0; i < n; ++i) {
    if (i == 0 || compare(order[i - 1], order[i]) != 0) {
      const double* x = f.data() + std::size_t{order[i]} * m;
      d.values.insert(d.values.end(), x + 1, x + m);
      ++d.count;
    }
    d.unique_of[order[i]] = static_cast<index_t>(d.count - 1);
  }
  return d;
}

// The 2-D minima of a set of (y, z) points, y ascending and z strictly descending: a sorted array while
// small (cache-friendly), a balanced tree once large, so that inserting stays O(log n).
class staircase {
 public:
  explicit staircase(std::pmr::memory_resource* pool) : tree_(pool) {}

  // True if some stored point has y' <= y and z' <= z.
  bool covers(double y, double z) const {
    if (!large_) {
      const auto it = std::upper_bound(flat_.begin(), flat_.end(), y,
                                       [](double v, const auto& e) { return v < e.first; });
      return it != flat_.begin() && std::prev(it)->second <= z;
    }
    const auto it = tree_.upper_bound(y);
    return it != tree_.begin() && std::prev(it)->second <= z;
  }

  // Adds (y, z), which no stored point covers, and drops the stored points it covers.
  void insert(double y, double z) {
    if (!large_) {
      auto it = std::lower_bound(flat_.begin(), flat_.end(), y,
                                 [](const auto& e, double v) { return e.first < v; });
      auto last = it;
      while (last != flat_.end() && last->second >= z) ++last;
      if (it != last) {
        *it = {y, z};
        flat_.erase(std::next(it), last);
      } else {
        flat_.insert(it, {y, z});
      }
      if (flat_.size() > flat_limit) {
        tree_.insert(flat_.begin(), flat_.end());
        flat_ = {};
        large_ = true;
      }
      return;
    }
    auto it = tree_.lower_bound(y);
    if (it != tree_.end() && it->first == y)
      it->second = z;
    else
      it = tree_.emplace_hint(it, y, z);
    auto last = std::next(it);
    while (last != tree_.end() && last->second >= z) ++last;
    tree_.erase(std::next(it), last);
  }

 private:
  static constexpr std::size_t flat_limit = 512;
  std::vector<std::pair<double, double>> flat_;
  std::pmr::map<double, double> tree_;
  bool large_ = false;
};

// Three objectives: the two-objective front sweep one dimension up. Distinct points are visited in
// lexicographic order; each front keeps the staircase of its members' (f2, f3) projections (the 2-D
// minima, Kung, Luccio & Preparata 1975), in which the member with the largest f2 <= p2 has the
// smallest f3, so one lookup decides whether a front dominates p; as in two dimensions, that is monotone
// in the front number, so a binary search over fronts finds p's rank. O(N log^2 N).
inline void ranks_3d(const distinct_points& d, std::vector<index_t>& rank) {
  std::pmr::monotonic_buffer_resource pool;
  std::vector<staircase> fronts;
  for (std::size_t p = 0; p < d.count; ++p) {
    const double y = d.values[2 * p];
    const double z = d.values[2 * p + 1];
    const auto front = std::partition_point(fronts.begin(), fronts.end(),
                                            [&](const staircase& s) { return s.covers(y, z); });
    rank[p] = static_cast<index_t>(front - fronts.begin());
    (front == fronts.end() ? fronts.emplace_back(&pool) : *front).insert(y, z);
  }
}

// Four or more objectives: divide and conquer over the distinct points.
inline void ranks_dc(const distinct_points& d, std::size_t dims, std::vector<index_t>& rank) {
  // Dense ranks of objective 1 for the Fenwick tree of the sweep.
  std::vector<std::pair<double, index_t>> by1(d.count);
  for (std::size_t i = 0; i < d.count; ++i) by1[i] = {d.values[i * dims], static_cast<index_t>(i)};
  std::sort(by1.begin(), by1.end());
  std::vector<index_t> key0(d.count);
  index_t k = 0;
  for (std::size_t i = 0; i < d.count; ++i) {
    if (i > 0 && by1[i].first != by1[i - 1].first) ++k;
    key0[by1[i].second] = k;
  }
  divide_and_conquer(d.values.data(), dims, key0.data(), d.count, rank.data()).run();
}

// Three or more objectives: sort lexicographically, merge identical points, rank the distinct ones and
// give every copy the rank of its representative.
inline void ranks_nd(const matrix& f, std::vector<std::size_t>& rank) {
  const auto d = lexicographic_distinct(f);
  std::vector<index_t> unique_rank(d.count, 0);
  if (f.cols() == 3)
    ranks_3d(d, unique_rank);
  else
    ranks_dc(d, f.cols() - 1, unique_rank);
  for (std::size_t i = 0; i < f.rows(); ++i) rank[i] = unique_rank[d.unique_of[i]];
}

// Keeps the ranks of the fronts needed to reach stop_after points; the rest become unranked.
inline void apply_stop_after(std::vector<std::size_t>& rank, std::size_t stop_after) {
  if (stop_after >= rank.size()) return;
  std::vector<std::size_t> count;
  for (const std::size_t r : rank) {
    if (r >= count.size()) count.resize(r + 1, 0);
    ++count[r];
  }
  std::size_t keep = 0;  // ranks < keep stay
  for (std::size_t total = 0; total < stop_after; ++keep) total += count[keep];
  for (std::size_t& r : rank)
    if (r >= keep) r = unranked;
}

}  // namespace detail::nds

// Pareto rank of every point (row of f): 0 for non-dominated points, r for points dominated only by
// points of rank < r. Identical points share a rank. With stop_after = k, only the best fronts that
// together hold at least k points are ranked (the front that reaches k is completed); the other points
// get moo::unranked (k = 0 ranks nothing). Empty input gives an empty result.
// stop_after saves no time: every algorithm here ranks all points in one pass (a sweep learns a point's
// front only when it reaches it, any later point may still join front 0, and the front sizes are known
// only at the end), so the option only marks the points beyond the needed fronts as unranked.
// Throws value_error naming the point and objective of a NaN or infinite value.
// Example: non_dominated_ranks(matrix{{1, 2}, {2, 1}, {2, 2}}) == {0, 0, 1}.
inline std::vector<std::size_t> non_dominated_ranks(const matrix& f, std::size_t stop_after = npos) {
  f.require_finite("non_dominated_ranks");
  std::vector<std::size_t> rank(f.rows(), 0);
  if (f.rows() == 0) return rank;
  if (f.cols() == 1)
    detail::nds::ranks_1d(f, rank);
  else if (f.cols() == 2)
    detail::nds::ranks_2d(f, rank);
  else if (f.cols() > 2)
    detail::nds::ranks_nd(f, rank);
  detail::nds::apply_stop_after(rank, stop_after);
  return rank;
}

// The fronts of f, best first, each a list of ascending point indices; with stop_after = k only the
// fronts needed to hold at least k points (see non_dominated_ranks).
inline std::vector<std::vector<std::size_t>> non_dominated_fronts(const matrix& f,
                                                                  std::size_t stop_after = npos) {
  const auto rank = non_dominated_ranks(f, stop_after);
  std::vector<std::vector<std::size_t>> fronts;
  for (std::size_t i = 0; i < rank.size(); ++i) {
    if (rank[i] == unranked) continue;
    if (rank[i] >= fronts.size()) fronts.resize(rank[i] + 1);
    fronts[rank[i]].push_back(i);
  }
  return fronts;
}

// Ascending indices of the non-dominated points of f (rank 0).
inline std::vector<std::size_t> non_dominated_front(const matrix& f) {
  const auto rank = non_dominated_ranks(f, 1);
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < rank.size(); ++i)
    if (rank[i] == 0) front.push_back(i);
  return front;
}

}  // namespace moo
