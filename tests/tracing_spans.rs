//! With the `tracing` feature, kernel calls and passes are spans with the documented fields,
//! captured here by a minimal subscriber. (`cargo test --features tracing --test tracing_spans`)
#![cfg(feature = "tracing")]

use array_expr::{array_expr, Array};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

array_expr! {
    fn shifted(x: f32[n, m], b: f32[m]) -> f32[n, m] {
        x + b
    }

    fn added(x: f32[n, m], y: f32[n, m]) -> f32[n, m] {
        x + y
    }
}

/// Records each new span as `name field=value ...`.
struct Capture {
    spans: Arc<Mutex<Vec<String>>>,
    next: AtomicU64,
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut f = Fields(span.metadata().name().to_string());
        span.record(&mut f);
        self.spans.lock().unwrap().push(f.0);
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn kernel_calls_and_passes_are_spans() {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let sub = Capture { spans: spans.clone(), next: AtomicU64::new(0) };
    let x = Array::<f32, 2>::zeros([3, 4]);
    tracing::subscriber::with_default(sub, || {
        array_expr::parallel::with_threads(1, || shifted(&x, &[1.0; 4]).unwrap());
        array_expr::parallel::with_threads(1, || added(&x, &x).unwrap());
    });
    let spans = spans.lock().unwrap();
    assert_eq!(
        *spans,
        vec![
            "array_expr.kernel kernel=tracing_spans::shifted".to_string(),
            // `b` is broadcast over rows (a zero stride): not one contiguous run
            "array_expr.pass driver=zip2 dtype=f32 shape=[3, 4] contiguous=false threads=1".to_string(),
            "array_expr.kernel kernel=tracing_spans::added".to_string(),
            "array_expr.pass driver=zip2 dtype=f32 shape=[3, 4] contiguous=true threads=1".to_string(),
        ]
    );
}
