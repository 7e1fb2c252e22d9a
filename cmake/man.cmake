# cmake/man.cmake — the manual pages, written in scdoc (man/*.scd), built
# into ${CMAKE_BINARY_DIR}/man/man<N>/ when scdoc is found, and installed.
#   man/<name>.<section>.scd  one page; @VERSION@ becomes the project version
#   section 3 pages are grouped by topic, liburing style: every other name in
#   a page's NAME line gets a link page (man3/<name>.3 holding
#   ".so man3/<page>.3"), so `man pktlink_tx_burst` finds pktlink_rx_burst(3).
# Included from the top-level CMakeLists.txt; tests/abi/abi.cmake checks
# the pages (mandoc -T lint, and that every public function, command, option
# and spec key is documented).
find_program(PKTLINK_SCDOC scdoc)
set(PKTLINK_MAN_DIR ${CMAKE_BINARY_DIR}/man)
file(GLOB pl_man_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.scd)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${pl_man_sources})
if(NOT PKTLINK_SCDOC)
  message(WARNING "scdoc not found: the manual pages are not built, and the man/ tests fail "
                  "(Debian: apt-get install scdoc; scripts/deps.sh installs it)")
  return()
endif()

set(pl_man_outputs "")
foreach(src IN LISTS pl_man_sources)
  get_filename_component(page ${src} NAME)
  string(REGEX REPLACE "\\.scd$" "" page "${page}")            # pktlink_open.3
  string(REGEX MATCH "[0-9]$" sec "${page}")
  set(out ${PKTLINK_MAN_DIR}/man${sec}/${page})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PKTLINK_MAN_DIR}/man${sec}
    COMMAND sh -c "sed 's/@VERSION@/${PROJECT_VERSION}/g' \"$1\" | \"$2\" > \"$3\".tmp && mv \"$3\".tmp \"$3\""
            sh ${src} ${PKTLINK_SCDOC} ${out}
    DEPENDS ${src}
    COMMENT "scdoc ${page}" VERBATIM)
  list(APPEND pl_man_outputs ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sec})

  # Link pages for the other names of a section-3 page's NAME line.
  if(sec STREQUAL "3")
    file(STRINGS ${src} lines)
    set(in_name FALSE)
    foreach(line IN LISTS lines)
      if(line MATCHES "^# NAME")
        set(in_name TRUE)
      elseif(in_name AND line MATCHES "^(.+) - ")
        string(REGEX REPLACE "[ \t]" "" names "${CMAKE_MATCH_1}")
        string(REPLACE "," ";" names "${names}")
        get_filename_component(base ${page} NAME_WLE)
        foreach(n IN LISTS names)
          if(NOT n STREQUAL base)
            set(link ${PKTLINK_MAN_DIR}/man3/${n}.3)
            file(WRITE ${link} ".so man3/${page}\n")
            install(FILES ${link} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
          endif()
        endforeach()
        break()
      endif()
    endforeach()
  endif()
endforeach()
add_custom_target(pktlink_man ALL DEPENDS ${pl_man_outputs})
