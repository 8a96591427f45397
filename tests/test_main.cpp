// doctest main for tare_tests (the shared helpers are in test_util.cpp): a run during which the validation layer
// spoke fails even when every check passed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "test_util.h"

int main(int argc, char** argv) {
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  int rc = context.run();
  if (tare::test::validation_failures()) {
    std::printf("%d test case(s) caused Vulkan validation messages\n", tare::test::validation_failures());
    if (rc == 0) rc = 1;
  }
  return rc;
}
