// The support modules and the prelude the generated kernels import, shared by the two halves
// of the differential tests (`differential.rs`, `differential_b.rs`), each of which includes
// this file and adds its own `generated` module.

#[path = "data.rs"]
mod data;
#[path = "ints.rs"]
mod ints;
#[path = "products.rs"]
mod products;
#[path = "reduce.rs"]
mod reduce;
#[path = "runner.rs"]
mod runner;
#[path = "values.rs"]
mod values;

mod prelude {
    pub(crate) use super::ints::*;
    pub(crate) use super::products::*;
    pub(crate) use super::reduce::*;
    pub(crate) use super::runner::run;
    pub(crate) use super::values::*;
    pub(crate) use array_expr::{array_expr, Array};
}
