# Install rules and the Debian package (cpack -G DEB). Included from the top-level
# CMakeLists.txt. Layout under the prefix:
#   bin/cdht, bin/launch_ring, bin/plot_transfer
#   share/cdht/launch/*.sh      the launch tool's sourced libraries
#   share/cdht/files/*.pdf      the sample files
#   share/man/man1/cdht.1, launch_ring.1
#   share/bash-completion/completions/cdht, launch_ring
# The installed launch_ring finds the libraries, cdht and the sample files relative to
# its own location (bin/../share/cdht), so any prefix works.
include(GNUInstallDirs)

install(TARGETS cdht RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS ${PROJECT_SOURCE_DIR}/tools/launch_ring.sh
        DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME launch_ring)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/tools/plot_transfer.sh
        DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME plot_transfer)
file(GLOB cdht_launch_libs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tools/launch/*.sh)
install(FILES ${cdht_launch_libs} DESTINATION ${CMAKE_INSTALL_DATADIR}/cdht/launch)
file(GLOB cdht_sample_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/share/files/*.pdf)
install(FILES ${cdht_sample_files} DESTINATION ${CMAKE_INSTALL_DATADIR}/cdht/files)
install(FILES ${PROJECT_SOURCE_DIR}/man/cdht.1 ${PROJECT_SOURCE_DIR}/man/launch_ring.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/share/bash-completion/completions/cdht
              ${PROJECT_SOURCE_DIR}/share/bash-completion/completions/launch_ring
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian package: cpack -G DEB in the build directory.
set(CPACK_PACKAGE_NAME cdht)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "the cdht project")
set(CPACK_PACKAGE_CONTACT "cdht maintainers <cdht@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "one peer of a circular distributed hash table, and tools to run a ring")
set(CPACK_PACKAGE_DESCRIPTION "cdht is one peer of a ring DHT (ids 0-255) on libevent: pings, \
repairs, joins, file requests and stores. launch_ring starts, drives, draws and stops a ring \
of peers on one machine; plot_transfer plots a transfer's log.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# libevent-2.1-7 holds libevent-2.1.so.7 on Debian 12 (bookworm); the tools need bash and jq.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libevent-2.1-7 (>= 2.1.12), bash, jq, iproute2")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "graphviz, gnuplot-nox | gnuplot")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "tmux, xterm, man-db")
include(CPack)
