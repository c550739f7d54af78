//! The array-expr showcase. Until the `array_expr!` macro lands this is a tour of the runtime:
//! strided views without copies, NumPy-style flags, explicit (counted) copies, and shape
//! binding errors that name the argument, axis and symbol.
//!
//! Run with `cargo run --release --example showcase`.

use array_expr::{diagnostics, Array, Order, ShapeBinder, Slice};
use std::time::Instant;

fn main() -> Result<(), array_expr::Error> {
    println!("== array-expr runtime tour ==\n");

    // A 4096 x 4096 f32 matrix from a seeded, machine-independent generator.
    let t = Instant::now();
    let x = Array::<f32, 2>::random_uniform([4096, 4096], 42, -1.0, 1.0);
    println!("random_uniform 4096x4096 f32: {:.1} ms (seed 42, same bits on every machine)", ms(t));

    // Views: every other row, columns reversed, then transposed. No data moves.
    let before = diagnostics::layout_copies();
    let v = x.view().slice([Slice::full().step_by(2), Slice::full().step_by(-1)])?.t();
    println!("\nview = x[::2, ::-1].T  -> shape {:?}, strides {:?}", v.shape(), v.strides());
    println!("{}", v.layout_report());
    println!("copies so far: {:?}", diagnostics::layout_copies().copies - before.copies);

    // Normalizing is explicit: a borrow when the layout is right, a counted copy otherwise.
    let t = Instant::now();
    let c = v.to_c_contiguous();
    let after = diagnostics::layout_copies();
    println!(
        "\nto_c_contiguous(): copied = {}, {:.1} ms, counter now {} copies / {:.1} MB",
        c.is_owned(),
        ms(t),
        after.copies - before.copies,
        (after.bytes - before.bytes) as f64 / 1e6
    );
    let again = x.view().to_c_contiguous();
    println!("to_c_contiguous() on a C array: copied = {}", again.is_owned());

    // Reshape is a view when the strides allow it, and an error (not a silent copy) otherwise.
    let flat = x.view().reshape([4096 * 4096], Order::C)?;
    println!("\nreshape C array to [16777216]: view, first = {}", flat.get([0]).copied().unwrap_or(0.0));
    match v.reshape([2048 * 4096], Order::C) {
        Ok(_) => println!("unexpected: strided reshape succeeded"),
        Err(e) => println!("reshape of the strided view: error: {e}"),
    }

    // Broadcasting: zero strides, read-only, no memory.
    let bias = Array::<f32, 1>::linspace(0.0, 1.0, 4096);
    let b = bias.view().broadcast_to([4096, 4096])?;
    println!("\nbias.broadcast_to([4096, 4096]): strides {:?}, {} bytes of storage", b.strides(), 4096 * 4);

    // Shape binding, as generated kernels do it: each symbol bound once, mismatches named.
    let w = Array::<f32, 1>::zeros([4096]);
    let bad = Array::<f32, 1>::zeros([4095]);
    let mut binder = ShapeBinder::new(["n", "m"]);
    binder.bind_all("x", &[Ok(0), Ok(1)], &x.shape())?;
    binder.bind_all("w", &[Ok(1)], &w.shape())?;
    if let Err(e) = binder.bind_all("b", &[Ok(1)], &bad.shape()) {
        println!("\nshape binding error: {e}");
    }
    Ok(())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}
