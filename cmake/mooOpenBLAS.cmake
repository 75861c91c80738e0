# moo::openblas, OpenBLAS as an imported target, made wherever OpenBLAS is found: in moo's own build and
# in a consumer by mooConfig.cmake's nas component. The exported moo::nas links this name, never the
# absolute path of the building machine's libopenblas. Debian 12's OpenBLASConfig.cmake (0.3.21) sets
# only OpenBLAS_LIBRARIES and OpenBLAS_INCLUDE_DIRS; later OpenBLAS releases also define
# OpenBLAS::OpenBLAS, which is used when present. Call after find_package(OpenBLAS CONFIG) succeeded.
if(NOT TARGET moo::openblas)
  add_library(moo::openblas INTERFACE IMPORTED)
  if(TARGET OpenBLAS::OpenBLAS)
    set_target_properties(moo::openblas PROPERTIES INTERFACE_LINK_LIBRARIES OpenBLAS::OpenBLAS)
  else()
    set_target_properties(moo::openblas PROPERTIES INTERFACE_LINK_LIBRARIES "${OpenBLAS_LIBRARIES}"
                                                   INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIRS}")
  endif()
endif()
