# SPDX-License-Identifier: BSD-3-Clause
# The installed package: headers, shared and static library, CMake config, pkg-config.
# (Not in sanitizer builds: an unsanitised consumer cannot load the instrumented library.)
if(NOT OPENMTP_SANITIZE)
  add_test(NAME install COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install/test_install.sh ${CMAKE_BINARY_DIR}
           ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/tests/install-work)
  set_tests_properties(install PROPERTIES LABELS "unit;install")
endif()
