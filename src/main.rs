//! The `tosim` command.

fn main() {
    println!("tosim");
}
