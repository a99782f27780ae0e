# Run by CTest before the tests (a TEST_INCLUDE_FILES script written by gtest_suites.cmake): lists
# the cases of MUSE_SUITE_BINARY and declares one test per GoogleTest suite, named
# MUSE_SUITE_PREFIX + suite, run through run_gtest_suite.sh. One process per suite instead of
# per case: each process spends most of a second (sanitized: two and a half) starting LibTorch.

# A test that always fails, saying why: a binary that is missing, cannot be listed or lists no
# suite must not leave its suites silently undeclared (nor pass when the listing works later).
function(muse_declare_failure name message)
  add_test("${MUSE_SUITE_PREFIX}${name}" sh -c "echo '${MUSE_SUITE_BINARY} ${message}'; exit 1")
  set_tests_properties("${MUSE_SUITE_PREFIX}${name}" PROPERTIES LABELS "${MUSE_SUITE_LABELS}")
endfunction()

if(NOT EXISTS "${MUSE_SUITE_BINARY}")
  muse_declare_failure(NOT_BUILT "is not built")
  return()
endif()

execute_process(COMMAND "${MUSE_SUITE_BINARY}" --gtest_list_tests
                OUTPUT_VARIABLE listing RESULT_VARIABLE listing_status TIMEOUT 120)
if(NOT listing_status EQUAL 0)
  muse_declare_failure(LISTING_FAILED "--gtest_list_tests failed (${listing_status}) before the tests")
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
  muse_declare_failure(NO_SUITES_LISTED "--gtest_list_tests listed no suite")
endif()
