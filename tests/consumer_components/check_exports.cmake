# cmake -DDIR=<prefix>/lib/cmake/moo -P check_exports.cmake
# The installed targets files link only by target name: no absolute path (such as the building
# machine's /usr/lib/.../libopenblas.so) in any INTERFACE_LINK_LIBRARIES.
file(GLOB files "${DIR}/moo*Targets*.cmake")
if(NOT files)
  message(FATAL_ERROR "no moo*Targets*.cmake in ${DIR}")
endif()
set(bad)
foreach(f IN LISTS files)
  file(READ "${f}" content)
  string(REPLACE ";" "," content "${content}")  # keep each property one list element
  string(REGEX MATCHALL "INTERFACE_LINK_LIBRARIES \"[^\"]*\"" props "${content}")
  foreach(p IN LISTS props)
    message(STATUS "${f}: ${p}")
    if(p MATCHES "[\",](/|[A-Za-z]:[/\\])")
      list(APPEND bad "${f}: ${p}")
    endif()
  endforeach()
endforeach()
if(bad)
  list(JOIN bad "\n" bad)
  message(FATAL_ERROR "absolute paths in exported targets:\n${bad}")
endif()
