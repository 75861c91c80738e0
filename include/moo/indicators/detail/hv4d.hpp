// Four-objective hypervolume by HV4D+ (Guerreiro & Fonseca 2018): O(n^2) time, O(n) space.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

namespace moo::detail {

// HV4D+ of A. P. Guerreiro and C. M. Fonseca, "Computing and updating hypervolume contributions in up
// to four dimensions", IEEE TEVC 22(3):449-463, 2018 (Sec. V-B; the 3-D machinery is HV3D+, Sec. IV).
//
// Sweep the points in ascending fourth objective w. The set S holds the points seen so far that are
// non-dominated in (x, y, z), in a list sorted by (z, y, x); V3, the volume S dominates in 3-D, grows by
// the 3-D exclusive contribution of each point entering S, and the 4-D volume is the integral of V3
// over w. Each point p of S remembers `closest`: its two neighbours on the 2-D staircase (in x, y) of the
// points of S that precede p in z. With those, one walk of S in z order rebuilds every staircase in
// O(1) per point (p is linked between its neighbours; what lay between them is dominated by p), so a
// 3-D contribution costs O(n) and the whole sweep O(n^2).
class hv4d_plus {
 public:
  // pts: n rows of 4 values, each strictly inside the box, sorted by ascending fourth value.
  static double compute(const double* pts, std::size_t n, const double* ref) {
    hv4d_plus h(pts, n, ref);
    return h.run();
  }

 private:
  // One cache line: the fourth objective stays in the input, and the z list is singly linked (the
  // walks that unlink points know their predecessor).
  struct alignas(64) node {
    double x[3];
    node* znext;       // S in ascending (z, y, x)
    node* closest[2];  // staircase neighbours among S before this node: [0] left, [1] right
    node* left;        // during a sweep: staircase neighbour with smaller x (larger y)
    node* right;       // during a sweep: staircase neighbour with larger x (smaller y)
  };

  hv4d_plus(const double* pts, std::size_t n, const double* ref) : pts_(pts), nodes_(n + 4), n_(n) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < 3; ++k) nodes_[i].x[k] = pts[4 * i + k];
    head_ = &nodes_[n];
    tail_ = &nodes_[n + 1];
    sl_ = &nodes_[n + 2];
    sr_ = &nodes_[n + 3];
    // tail: z = ref z and (x, y) dominating everything, so every walk in z stops there.
    *head_ = node{{-inf, -inf, -inf}, tail_, {nullptr, nullptr}, nullptr, nullptr};
    *tail_ = node{{-inf, -inf, ref[2]}, nullptr, {nullptr, nullptr}, nullptr, nullptr};
    // staircase sentinels: left (-inf, ref y), right (ref x, -inf); below every point in z.
    *sl_ = node{{-inf, ref[1], -inf}, nullptr, {nullptr, nullptr}, nullptr, nullptr};
    *sr_ = node{{ref[0], -inf, -inf}, nullptr, {nullptr, nullptr}, nullptr, nullptr};
    ref_w_ = ref[3];
  }

  double run() {
    double hv = 0.0;
    double v3 = 0.0;
    for (std::size_t i = 0; i < n_; ++i) {
      node* q = &nodes_[i];
      if (node* before = setup(q)) {
        before->znext = q;
        v3 += insert(q);
      }
      const double next_w = i + 1 < n_ ? pts_[4 * i + 7] : ref_w_;
      hv += v3 * (next_w - pts_[4 * i + 3]);
    }
    return hv;
  }

  // Lexicographic orders that pick the staircase neighbours; the third key (z) settles the transient
  // case in insert() where a point equal in (x, y) to q is about to leave S. Written with & and | so
  // that the hot loops compile to few branches (the outcomes are data-dependent and unpredictable).
  static bool less_yxz(const node* a, const node* b) {
    const double* u = a->x;
    const double* v = b->x;
    return (u[1] < v[1]) | ((u[1] == v[1]) & ((u[0] < v[0]) | ((u[0] == v[0]) & (u[2] < v[2]))));
  }
  static bool less_xyz(const node* a, const node* b) {
    const double* u = a->x;
    const double* v = b->x;
    return (u[0] < v[0]) | ((u[0] == v[0]) & ((u[1] < v[1]) | ((u[1] == v[1]) & (u[2] < v[2]))));
  }

  // Puts p on the staircase between its recorded neighbours.
  static void link(node* p) {
    node* l = p->closest[0];
    node* r = p->closest[1];
    p->left = l;
    p->right = r;
    l->right = p;
    r->left = p;
  }

  // Area of {(a, b): a >= x0, b >= y0} not dominated by the staircase, walking right from s, the last
  // member with x < x0 (s.y >= y0).
  static double area_right(const node* s, double x0, double y0) {
    double top = s->x[1];
    double from = x0;
    double area = 0.0;
    const node* m = s->right;
    while (m->x[1] > y0) {
      area += (m->x[0] - from) * (top - y0);
      from = m->x[0];
      top = m->x[1];
      m = m->right;
    }
    return area + (m->x[0] - from) * (top - y0);
  }

  // The same area, walking left from t, the first member with y < y0 (t.x >= x0).
  static double area_left(const node* t, double x0, double y0) {
    double to = t->x[0];
    double area = 0.0;
    const node* m = t->left;
    while (m->x[0] > x0) {
      area += (to - m->x[0]) * (m->x[1] - y0);
      to = m->x[0];
      m = m->left;
    }
    return area + (to - x0) * (m->x[1] - y0);
  }

  // Walks S in z order up to q's place, rebuilding the staircase of the points before q and finding
  // q's neighbours on it. Returns q's predecessor in the z list, or nullptr if a point of S weakly
  // dominates q in (x, y, z).
  // The neighbours are the minima of (y, x) over the points before q with x < q.x and of (x, y) over
  // those with y < q.y. Points of S never tie in both keys, and of two that tie in the first, the later
  // one in z has the smaller second key (else the earlier would dominate it), so "<=" on the first key
  // alone picks the right one.
  node* setup(node* q) {
    sl_->right = sr_;
    sr_->left = sl_;
    node* l = sl_;
    node* r = sr_;
    double l_y = sl_->x[1];
    double r_x = sr_->x[0];
    const double qx = q->x[0], qy = q->x[1], qz = q->x[2];
    node* before = head_;
    node* p = head_->znext;
    while (true) {
      const double* px = p->x;
      if ((px[0] <= qx) & (px[1] <= qy) & (px[2] <= qz)) return nullptr;
      if (px[2] >= qz && (px[2] > qz || px[1] > qy || (px[1] == qy && px[0] > qx))) break;  // p after q
      link(p);
      // Candidates: x < q.x for the left neighbour, y < q.y for the right one (q is not dominated, so
      // these exclude each other). A non-candidate's key becomes +inf by adding from a table rather
      // than by a branch, whose outcome would be random; new minima are rare, so the two branches left
      // are well predicted.
      const double key_l = px[1] + not_candidate[px[0] < qx];
      const double key_r = px[0] + not_candidate[px[1] < qy];
      if (key_l <= l_y) {
        l = p;
        l_y = key_l;
      }
      if (key_r <= r_x) {
        r = p;
        r_x = key_r;
      }
      before = p;
      p = p->znext;
    }
    q->closest[0] = l;
    q->closest[1] = r;
    q->znext = p;
    return before;
  }

  // q may be a closer staircase neighbour of p (which follows q in z and neither dominates the other in
  // (x, y)) than the ones p recorded.
  static void offer_closest(node* p, node* q) {
    if (q->x[0] < p->x[0]) {
      if (less_yxz(q, p->closest[0])) p->closest[0] = q;
    } else {
      if (less_xyz(q, p->closest[1])) p->closest[1] = q;
    }
  }

  // q has just entered the z list (the staircase holds the points of S before q). Returns q's 3-D
  // exclusive volume with respect to S and updates S for q, in one upward walk in z:
  // - q's region on the staircase shrinks by the part each later point p covers, until a point
  //   dominates q in (x, y) or the reference z is reached (the tail sentinel does both);
  // - the points q dominates leave S, and q becomes the recorded neighbour of the points it is closer to.
  //   Past a point that dominates q in (x, y), q is nobody's neighbour, so the walk stops there too.
  double insert(node* q) {
    const double qx = q->x[0], qy = q->x[1];
    node* l = q->closest[0];  // last staircase member with x < q.x
    node* r = q->closest[1];  // first staircase member with y < q.y
    double area = area_right(l, qx, qy);
    double volume = 0.0;
    double last_z = q->x[2];
    node* prev = q;  // p's predecessor in the z list
    node* p = q->znext;
    while (true) {
      const double* px = p->x;
      volume += area * (px[2] - last_z);
      if (px[0] <= qx && px[1] <= qy) break;
      last_z = px[2];
      if (px[0] < qx) {  // left of q (p.y > q.y): cuts the band above p.y
        if (px[1] <= l->x[1]) {
          area -= area_right(l, qx, px[1]);
          l = p;
        }
        link(p);
        offer_closest(p, q);
        prev = p;
      } else if (px[1] < qy) {  // below q (p.x > q.x): cuts the band right of p.x
        if (px[0] <= r->x[0]) {
          area -= area_left(r, px[0], qy);
          r = p;
        }
        link(p);
        offer_closest(p, q);
        prev = p;
      } else {  // inside q's quadrant: all its exclusive area lies in q's region; q dominates it
        area -= area_right(p->closest[0], px[0], px[1]);
        link(p);
        prev->znext = p->znext;  // leaves S
      }
      p = p->znext;
    }
    // p dominates q in (x, y). Unless they are equal there, q is nobody's neighbour beyond p. If they
    // are, p (higher in z) leaves S and the updates go on, as no other point of S equals p in (x, y).
    if (p->x[0] != qx || p->x[1] != qy) return volume;
    prev->znext = p->znext;
    for (p = p->znext;; p = p->znext) {
      const double* px = p->x;
      if (px[0] >= qx && px[1] >= qy) {
        prev->znext = p->znext;
      } else if (px[0] <= qx && px[1] <= qy) {
        return volume;
      } else {
        offer_closest(p, q);
        prev = p;
      }
    }
  }

  static constexpr double not_candidate[2] = {std::numeric_limits<double>::infinity(), 0.0};

  const double* pts_;
  std::vector<node> nodes_;
  std::size_t n_;
  node* head_;
  node* tail_;
  node* sl_;
  node* sr_;
  double ref_w_;
};

// Volume dominated by n points (row-major quadruples strictly inside the box) and bounded by ref.
inline double hv4d(const double* pts, std::size_t n, const double* ref) {
  bool sorted = true;
  for (std::size_t i = 1; i < n && sorted; ++i) sorted = pts[4 * i - 1] <= pts[4 * i + 3];
  if (sorted) return hv4d_plus::compute(pts, n, ref);
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return pts[4 * a + 3] < pts[4 * b + 3]; });
  std::vector<double> p(4 * n);
  for (std::size_t i = 0; i < n; ++i) std::copy_n(pts + 4 * order[i], 4, p.begin() + 4 * i);
  return hv4d_plus::compute(p.data(), n, ref);
}

}  // namespace moo::detail
