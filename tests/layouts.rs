//! Property tests: composed view operations map every index to the element a straightforward
//! reference index computation names; reshape and layout normalization never change values.

use array_expr::{Array, ArrayView, Order, Slice};
use proptest::prelude::*;

/// One view operation on a rank-3 view (rank-preserving, so they compose freely).
#[derive(Debug, Clone)]
enum Op {
    Slice([(Option<isize>, Option<isize>, isize); 3]),
    Permute([usize; 3]),
    Invert(usize),
    IndexThenInsert(usize, usize),
    Reverse,
}

/// Maps an index of the current view to the index of the original array.
type IndexMap = std::rc::Rc<dyn Fn(&[usize]) -> Vec<usize>>;

/// The reference: the current shape and, for each current index, the original index.
#[derive(Clone)]
struct Reference {
    shape: Vec<usize>,
    map: IndexMap,
}

/// The indices Python's `range(len)[start:end:step]` selects, by walking rather than by formula.
fn selected(len: usize, start: Option<isize>, end: Option<isize>, step: isize) -> Vec<usize> {
    let n = len as isize;
    let fix = |v: isize| if v < 0 { v + n } else { v };
    let mut out = Vec::new();
    if step > 0 {
        let mut i = start.map_or(0, fix).max(0);
        let stop = end.map_or(n, fix).min(n);
        while i < stop {
            out.push(i as usize);
            i += step;
        }
    } else {
        let mut i = start.map_or(n - 1, fix).min(n - 1);
        let stop = end.map_or(-1, fix).max(-1);
        while i > stop {
            if i >= 0 {
                out.push(i as usize);
            }
            i += step;
        }
    }
    out
}

impl Reference {
    fn apply(&self, op: &Op) -> Option<Reference> {
        let prev = self.map.clone();
        let shape = self.shape.clone();
        Some(match op.clone() {
            Op::Slice(spec) => {
                let picks: Vec<Vec<usize>> =
                    (0..3).map(|k| selected(shape[k], spec[k].0, spec[k].1, spec[k].2)).collect();
                let new_shape = picks.iter().map(|p| p.len()).collect();
                Reference {
                    shape: new_shape,
                    map: std::rc::Rc::new(move |i| prev(&[picks[0][i[0]], picks[1][i[1]], picks[2][i[2]]])),
                }
            }
            Op::Permute(p) => Reference {
                shape: p.iter().map(|&a| shape[a]).collect(),
                map: std::rc::Rc::new(move |i| {
                    let mut old = [0; 3];
                    for k in 0..3 {
                        old[p[k]] = i[k];
                    }
                    prev(&old)
                }),
            },
            Op::Reverse => Reference {
                shape: shape.iter().rev().copied().collect(),
                map: std::rc::Rc::new(move |i| prev(&[i[2], i[1], i[0]])),
            },
            Op::Invert(a) => {
                let n = shape[a];
                Reference {
                    shape: shape.clone(),
                    map: std::rc::Rc::new(move |i| {
                        let mut old = i.to_vec();
                        old[a] = n - 1 - i[a];
                        prev(&old)
                    }),
                }
            }
            Op::IndexThenInsert(a, at) => {
                if shape[a] == 0 {
                    return None;
                }
                let at = at % shape[a];
                let mut s = shape.clone();
                s[a] = 1;
                Reference {
                    shape: s,
                    map: std::rc::Rc::new(move |i| {
                        let mut old = i.to_vec();
                        old[a] = at;
                        prev(&old)
                    }),
                }
            }
        })
    }
}

fn apply_view<'a>(v: ArrayView<'a, u32, 3>, op: &Op) -> Option<ArrayView<'a, u32, 3>> {
    Some(match op.clone() {
        Op::Slice(spec) => v.slice(spec.map(|(a, b, s)| Slice::new(a, b, s))).ok()?,
        Op::Permute(p) => v.permute_axes(p).ok()?,
        Op::Reverse => v.t(),
        Op::Invert(a) => v.invert_axis(a).ok()?,
        Op::IndexThenInsert(a, at) => {
            let n = v.shape()[a];
            if n == 0 {
                return None;
            }
            let r: ArrayView<'a, u32, 2> = v.index_axis(a, at % n).ok()?;
            r.insert_axis(a).ok()?
        }
    })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let bound = prop::option::of(-8isize..8);
    let step = prop_oneof![1isize..4, -3isize..=-1];
    let one = (bound.clone(), bound, step);
    prop_oneof![
        [one.clone(), one.clone(), one].prop_map(Op::Slice),
        Just([0usize, 1, 2]).prop_shuffle().prop_map(Op::Permute),
        (0usize..3).prop_map(Op::Invert),
        ((0usize..3), (0usize..8)).prop_map(|(a, i)| Op::IndexThenInsert(a, i)),
        Just(Op::Reverse),
    ]
}

fn base_strategy() -> impl Strategy<Value = ([usize; 3], Order)> {
    ([0usize..6, 0usize..6, 0usize..6], prop_oneof![Just(Order::C), Just(Order::F)])
}

fn base_array(shape: [usize; 3], order: Order) -> Array<u32, 3> {
    let n: usize = shape.iter().product();
    Array::from_shape_vec_order(shape, (0..n as u32).collect(), order).unwrap()
}

fn every_index(shape: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for &n in shape {
        out = out.into_iter().flat_map(|p| (0..n).map(move |i| [p.clone(), vec![i]].concat())).collect();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn composed_views_match_reference((shape, order) in base_strategy(), ops in prop::collection::vec(op_strategy(), 0..6)) {
        let a = base_array(shape, order);
        let mut v = a.view();
        let mut r = Reference { shape: shape.to_vec(), map: std::rc::Rc::new(|i: &[usize]| i.to_vec()) };
        for op in &ops {
            let (Some(nv), Some(nr)) = (apply_view(v, op), r.apply(op)) else { break };
            v = nv;
            r = nr;
        }
        prop_assert_eq!(v.shape().to_vec(), r.shape.clone());
        for idx in every_index(&r.shape) {
            let i: [usize; 3] = idx.clone().try_into().unwrap();
            let orig: [usize; 3] = (r.map)(&idx).try_into().unwrap();
            prop_assert_eq!(v.get(i), a.get(orig), "index {:?}", idx);
        }
        // out-of-range indices are None, never a panic
        prop_assert_eq!(v.get([r.shape[0], 0, 0]), None);

        // normalizing never changes values, and gives the requested layout
        let c = v.to_c_contiguous();
        prop_assert!(c.view().is_c_contiguous());
        prop_assert_eq!(c.view().to_vec(), v.to_vec());
        let f = v.to_f_contiguous();
        prop_assert!(f.view().is_f_contiguous());
        prop_assert_eq!(f.view().to_vec(), v.to_vec());

        // a reshape either fails cleanly or reads the same elements in the same order
        let n = v.len();
        if let Ok(flat) = v.reshape([n], Order::C) {
            prop_assert_eq!(flat.to_vec(), v.to_vec());
        }
        if let Ok(flat) = v.reshape([n], Order::F) {
            prop_assert_eq!(flat.to_vec(), v.t().to_vec());
        }
        if let Ok(r2) = v.reshape([1, n, 1, 1], Order::C) {
            prop_assert_eq!(r2.to_vec(), v.to_vec());
        }
        // a contiguous view always reshapes as a view
        prop_assert!(c.view().reshape([n], Order::C).is_ok());
    }

    #[test]
    fn mutable_views_write_exactly_their_elements((shape, order) in base_strategy(), ops in prop::collection::vec(op_strategy(), 0..5)) {
        let mut a = base_array(shape, order);
        let reference = base_array(shape, order);
        let mut r = Reference { shape: shape.to_vec(), map: std::rc::Rc::new(|i: &[usize]| i.to_vec()) };
        let mut applied = Vec::new();
        {
            let probe = reference.view();
            let mut pv = probe;
            for op in &ops {
                let (Some(nv), Some(nr)) = (apply_view(pv, op), r.apply(op)) else { break };
                pv = nv;
                r = nr;
                applied.push(op.clone());
            }
        }
        let mut m = a.view_mut();
        for op in &applied {
            m = match op.clone() {
                Op::Slice(spec) => m.slice(spec.map(|(x, y, s)| Slice::new(x, y, s))).unwrap(),
                Op::Permute(p) => m.permute_axes(p).unwrap(),
                Op::Reverse => m.reversed_axes(),
                Op::Invert(ax) => m.invert_axis(ax).unwrap(),
                Op::IndexThenInsert(ax, at) => {
                    let n = m.shape()[ax];
                    let t: array_expr::ArrayViewMut<'_, u32, 2> = m.index_axis(ax, at % n).unwrap();
                    t.insert_axis(ax).unwrap()
                }
            };
        }
        m.fill(u32::MAX);
        let touched: std::collections::BTreeSet<Vec<usize>> = every_index(&r.shape).iter().map(|i| (r.map)(i)).collect();
        for idx in every_index(&shape) {
            let i: [usize; 3] = idx.clone().try_into().unwrap();
            let expect = if touched.contains(&idx) { u32::MAX } else { reference[i] };
            prop_assert_eq!(a[i], expect);
        }
    }

    #[test]
    fn broadcast_matches_numpy_rules(src in [1usize..4, 1usize..4], lead in 1usize..4, pick in [any::<bool>(), any::<bool>()]) {
        let shape = [if pick[0] { 1 } else { src[0] }, if pick[1] { 1 } else { src[1] }];
        let a = Array::<u32, 2>::from_fn(shape, |[i, j]| (i * 10 + j) as u32);
        let target = [lead, src[0], src[1]];
        let b = a.view().broadcast_to(target).unwrap();
        for idx in every_index(&target) {
            let orig = [if shape[0] == 1 { 0 } else { idx[1] }, if shape[1] == 1 { 0 } else { idx[2] }];
            prop_assert_eq!(b.get([idx[0], idx[1], idx[2]]), a.get(orig));
        }
        let r = b.layout_report();
        prop_assert_eq!(r.broadcast, lead > 1 || (pick[0] && src[0] > 1) || (pick[1] && src[1] > 1));
    }

    #[test]
    fn split_covers_the_axis((shape, order) in base_strategy(), axis in 0usize..3, at in 0usize..7) {
        let a = base_array(shape, order);
        let at = at.min(shape[axis]);
        let (x, y) = a.view().split_at(axis, at).unwrap();
        prop_assert_eq!(x.shape()[axis] + y.shape()[axis], shape[axis]);
        let mut both = x.to_vec();
        both.extend(y.to_vec());
        let mut all = a.to_vec();
        both.sort_unstable();
        all.sort_unstable();
        prop_assert_eq!(both, all);
    }
}

#[test]
fn error_messages() {
    let a = Array::<f32, 2>::zeros([2, 3]);
    let e = a.view().broadcast_to([4, 5]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot broadcast shape [2, 3] to [4, 5]: axis 0 has size 2, target axis 0 has size 4"
    );
    let e = a.t().reshape([6], Order::C).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot reshape [3, 2] with strides [1, 3] into [6] in C order without a copy; \
         normalize the layout first (to_c_contiguous / to_f_contiguous)"
    );
    let e = a.view().index_axis::<1>(1, 3).unwrap_err();
    assert_eq!(e.to_string(), "index_axis: index 3 is out of bounds for axis 1 with size 3");
    let e = a.view().permute_axes([0, 0]).unwrap_err();
    assert_eq!(e.to_string(), "permute_axes: [0, 0] is not a permutation of the 2 axes");
    let e = a.view().slice([Slice::full(), Slice::full().step_by(0)]).unwrap_err();
    assert_eq!(e.to_string(), "axis 1: slice step must not be 0");
    let data = [0u8; 4];
    let e = ArrayView::from_shape_strides(&data, [2, 2], [2, 2], 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "argument `data`: shape [2, 2] with strides [2, 2] at offset 0 reaches elements 0..=4, outside the buffer of 4 elements"
    );
    let e = Array::<f64, 3>::try_full([1 << 30, 1 << 30, 1 << 10], 0.0).unwrap_err();
    assert_eq!(e.kind(), array_expr::ErrorKind::Overflow);
}

#[test]
fn copies_are_counted_and_borrows_are_free() {
    let a = Array::<f64, 2>::zeros([8, 8]);
    let before = array_expr::diagnostics::layout_copies();
    assert!(!a.view().to_c_contiguous().is_owned());
    assert!(!a.t().to_f_contiguous().is_owned());
    let mid = array_expr::diagnostics::layout_copies();
    // other tests in this binary may copy concurrently: only a lower bound is exact
    let _ = before;
    assert!(a.t().to_c_contiguous().is_owned());
    let after = array_expr::diagnostics::layout_copies();
    assert!(after.copies > mid.copies && after.bytes >= mid.bytes + 512);
}
