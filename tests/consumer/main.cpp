// Uses the public API exactly as the documentation names it.
#include <cas/cas.hpp>

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  boost::filesystem::path dir = argv[1];
  std::ofstream(dir / "f") << "abc";
  cas::Store store(dir / "store",
                   cas::StoreOptions{.read_only = false, .layouts = cas::default_layouts()});
  std::string hash = store.put(dir / "f", cas::HashAlgorithm::sha256);
  std::shared_ptr<const cas::Layout> v1 = cas::preferred_layout();
  bool ok = hash == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" &&
            store.lookup(hash) == store.root() / v1->lookup(hash) &&
            cas::hash_file(*store.lookup(hash), cas::HashAlgorithm::sha256) == hash;
  try {
    store.lookup("../etc");
    ok = false;
  } catch (const cas::InvalidHashError&) {
  }
  std::cout << (ok ? "consumer OK" : "consumer FAILED") << "\n";
  return ok ? 0 : 1;
}
