# muse_add_gtest_suites(target [PREFIX p] [LABELS l...] [TIMEOUT s] [ENVIRONMENT VAR=value...])
# Declares one CTest test per GoogleTest suite of `target`, found when CTest runs (the binary is
# listed then, as GoogleTest's own discovery does): declare_gtest_suites.cmake.
set(MUSE_GTEST_SUITES_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(muse_add_gtest_suites target)
  cmake_parse_arguments(ARG "" "PREFIX;TIMEOUT" "LABELS;ENVIRONMENT" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 900)
  endif()
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
  # Bracket arguments keep the ';' of lists (ENVIRONMENT, LABELS) as they are.
  file(GENERATE OUTPUT "${include_file}" CONTENT
"set(MUSE_SUITE_BINARY [==[$<TARGET_FILE:${target}>]==])
set(MUSE_SUITE_PREFIX [==[${ARG_PREFIX}]==])
set(MUSE_SUITE_LABELS [==[${ARG_LABELS}]==])
set(MUSE_SUITE_TIMEOUT [==[${ARG_TIMEOUT}]==])
set(MUSE_SUITE_ENVIRONMENT [==[${ARG_ENVIRONMENT}]==])
set(MUSE_SUITE_RUNNER [==[${MUSE_GTEST_SUITES_DIR}/run_gtest_suite.sh]==])
include([==[${MUSE_GTEST_SUITES_DIR}/declare_gtest_suites.cmake]==])
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
