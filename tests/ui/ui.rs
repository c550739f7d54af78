//! Compile-time contract: every error class has a case with its exact message.
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("fail/**/*.rs");
    t.pass("pass/*.rs");
}
