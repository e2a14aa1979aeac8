# SPDX-License-Identifier: Apache-2.0
# The Debian package of the agent (`cpack -G DEB` in the build directory;
# scripts/build.sh makes it): /usr/bin/syva, the example policies as
# /etc/syva/policies (conffiles), and the systemd unit syva.service.
# Depends is computed by dpkg-shlibdeps from the libraries syva links.
include(GNUInstallDirs)

install(TARGETS syva RUNTIME DESTINATION bin COMPONENT agent)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/policies/ DESTINATION /etc/syva/policies
  COMPONENT agent FILES_MATCHING PATTERN "*.toml")
install(FILES ${CMAKE_SOURCE_DIR}/packaging/syva.service DESTINATION lib/systemd/system COMPONENT agent)

# dpkg keeps an administrator's edits of these on upgrade.
file(GLOB SYVA_SHIPPED_POLICIES RELATIVE ${CMAKE_SOURCE_DIR}/policies ${CMAKE_SOURCE_DIR}/policies/*.toml)
list(SORT SYVA_SHIPPED_POLICIES)
list(TRANSFORM SYVA_SHIPPED_POLICIES PREPEND /etc/syva/policies/)
list(JOIN SYVA_SHIPPED_POLICIES "\n" SYVA_CONFFILES)
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "${SYVA_CONFFILES}\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME syva)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Syva developers <syva@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "kernel-level isolation between the containers of a node (BPF-LSM)")
set(CPACK_PACKAGE_DESCRIPTION "Syva puts every container in a zone and denies, with BPF-LSM programs, every operation by a zoned process on another zone's files, processes and Unix sockets, unless both zones' policies allow the pair. It follows containerd. Needs a kernel with CONFIG_BPF_LSM=y, BTF and bpf in its LSM list.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS containerd)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_BINARY_DIR}/packaging/conffiles
  ${CMAKE_SOURCE_DIR}/packaging/postinst
  ${CMAKE_SOURCE_DIR}/packaging/prerm
  ${CMAKE_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
