# cmake -DSOURCE_DIR=<moo> -DBINARY_DIR=<dir> -DPREFIX=<dir> [-DOPTIONS=a,b,...] -P install_moo.cmake
# Configures moo (no tests, examples or benchmarks) with OPTIONS and installs it into a fresh PREFIX.
string(REPLACE "," ";" OPTIONS "${OPTIONS}")
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -DMOO_BUILD_TESTS=OFF
                        -DMOO_BUILD_EXAMPLES=OFF -DMOO_BUILD_BENCHMARKS=OFF ${OPTIONS}
                COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BINARY_DIR}" --prefix "${PREFIX}"
                COMMAND_ERROR_IS_FATAL ANY)
