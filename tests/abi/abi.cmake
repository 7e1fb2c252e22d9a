# tests/abi/abi.cmake — the ABI, packaging and documentation checks.
# Included from tests/CMakeLists.txt.
#   abi/test_abi      C program linked with the shared library: version,
#                     output structs at the caller's size, the options validator
#   abi/symbols       headers == map == exports of libpktlink.so and libpktlink.a
#   man/check         the manual pages: mandoc lint, nothing undocumented
#   abi/install       cmake --install to a temporary prefix, then consumers
#                     built with pkg-config and with find_package (shared and static)
set(PL_ABI_DIR ${CMAKE_CURRENT_LIST_DIR})

add_executable(abi_test_abi ${PL_ABI_DIR}/test_abi.c)
target_link_libraries(abi_test_abi PRIVATE pktlink pktlink_harness ${CMAKE_DL_LIBS})
add_test(NAME abi/test_abi COMMAND abi_test_abi)
set_tests_properties(abi/test_abi PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77 LABELS abi)

add_test(NAME abi/symbols
         COMMAND bash ${PL_ABI_DIR}/check_symbols.sh ${CMAKE_BINARY_DIR}
                 $<TARGET_FILE:pktlink> $<TARGET_FILE:pktlink_archive> ${PKTLINK_FAMILIES})
set_tests_properties(abi/symbols PROPERTIES TIMEOUT 120 LABELS abi)

add_test(NAME abi/install
         COMMAND bash ${PL_ABI_DIR}/test_install.sh ${CMAKE_BINARY_DIR} ${PL_ABI_DIR}/consumer
                 ${PKTLINK_FAMILIES})
set_tests_properties(abi/install PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS abi)

# The manual pages (cmake/man.cmake): lint, and every public function,
# command, option and spec key documented.
if(TARGET pktlink_tool)
  set(pl_man_tool $<TARGET_FILE:pktlink_tool>)
else()
  set(pl_man_tool -)
endif()
add_test(NAME man/check COMMAND bash ${PL_ABI_DIR}/check_man.sh ${CMAKE_BINARY_DIR} ${pl_man_tool}
                                ${PKTLINK_FAMILIES})
set_tests_properties(man/check PROPERTIES TIMEOUT 120 LABELS "man;abi")
