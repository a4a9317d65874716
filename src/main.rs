fn main() {
    std::process::exit(skypile::cli::main());
}
