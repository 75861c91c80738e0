// Uses the installed headers through moo::moo.
#include <moo/core/rng.hpp>

#include <cstdio>

int main() {
  moo::rng r(1);
  std::printf("%f\n", r.uniform());
  return 0;
}
