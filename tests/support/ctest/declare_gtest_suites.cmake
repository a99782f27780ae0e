# Run by CTest before the tests (a TEST_INCLUDE_FILES script written by gtest_suites.cmake): lists
# the cases of MUSE_SUITE_BINARY and declares one test per GoogleTest suite, named
# MUSE_SUITE_PREFIX + suite, run through run_gtest_suite.sh. One process per suite instead of
# per case: each process spends most of a second (sanitized: two and a half) starting LibTorch.

if(NOT EXISTS "${MUSE_SUITE_BINARY}")
  add_test("${MUSE_SUITE_PREFIX}NOT_BUILT" "${MUSE_SUITE_BINARY}")
  set_tests_properties("${MUSE_SUITE_PREFIX}NOT_BUILT" PROPERTIES LABELS "${MUSE_SUITE_LABELS}")
  return()
endif()

execute_process(COMMAND "${MUSE_SUITE_BINARY}" --gtest_list_tests
                OUTPUT_VARIABLE listing ERROR_VARIABLE listing_errors RESULT_VARIABLE listing_status
                TIMEOUT 120)
if(NOT listing_status EQUAL 0)
  # A test that fails and says why, rather than a silently empty suite list (it fails even if
  # the listing would work when run again: none of this binary's suites were declared).
  add_test("${MUSE_SUITE_PREFIX}LISTING_FAILED" sh -c
           "echo '${MUSE_SUITE_BINARY} --gtest_list_tests failed (${listing_status}) before the tests'; exit 1")
  set_tests_properties("${MUSE_SUITE_PREFIX}LISTING_FAILED" PROPERTIES LABELS "${MUSE_SUITE_LABELS}")
  return()
endif()

# Suite lines start in the first column and end their name with a dot ("Model.",
# "Fixture/Parity.  # TypeParam ..."); case lines are indented. Only the names are matched, so
# whatever a parameter's description contains cannot disturb the list.
string(REGEX MATCHALL "\n[A-Za-z0-9_/]+\\." suite_lines "\n${listing}")
set(declared 0)
foreach(line IN LISTS suite_lines)
  string(REGEX REPLACE "^\n(.*)\\.$" "\\1" suite "${line}")
  set(name "${MUSE_SUITE_PREFIX}${suite}")
  add_test("${name}" "${MUSE_SUITE_RUNNER}" "${MUSE_SUITE_BINARY}" "--gtest_filter=${suite}.*")
  set_tests_properties("${name}" PROPERTIES
    LABELS "${MUSE_SUITE_LABELS}" TIMEOUT "${MUSE_SUITE_TIMEOUT}" SKIP_RETURN_CODE 77
    ENVIRONMENT "${MUSE_SUITE_ENVIRONMENT}")
  math(EXPR declared "${declared} + 1")
endforeach()
if(declared EQUAL 0)
  add_test("${MUSE_SUITE_PREFIX}NO_SUITES_LISTED" sh -c
           "echo '${MUSE_SUITE_BINARY} --gtest_list_tests listed no suite'; exit 1")
endif()
