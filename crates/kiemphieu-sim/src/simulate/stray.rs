//! Stray ink: what a voter writes outside the boxes and the name cells (a signature, a written-in
//! name, a doodle, a tick beside a box), kept clear of every box so it never changes a row's truth.

use super::ink::{Handwriting, Stroke};
use super::rng::SimRng;
use super::shapes::{self, Place};
use super::voter::{Hand, Marking, STRAY_CLEARANCE_MM, Zones, grow, printed_marks, strokes};
use crate::layout::{BallotLayout, PointMm, RectMm};

pub(super) fn stray_zones(layout: &BallotLayout, cells: &[RectMm]) -> Zones {
    let mut rects: Vec<RectMm> = layout
        .rows
        .iter()
        .flat_map(|r| {
            r.boxes
                .iter()
                .map(|b| grow(b, STRAY_CLEARANCE_MM + crate::layout::RULE_MM / 2.0))
        })
        .collect();
    rects.extend(cells.iter().map(|c| grow(c, 0.3)));
    rects.extend(printed_marks(layout));
    Zones { rects }
}

/// Ink outside the boxes and the name cells: a signature, a written-in name, a doodle in the
/// margin, a tick beside (not in) a box, a word in the position column.
pub(super) fn stray(
    hand: &Hand,
    rng: &mut SimRng,
    layout: &BallotLayout,
    cells: &[RectMm],
    zones: &Zones,
    m: &mut Marking,
) {
    let table = layout.table;
    let below = table.bottom() + 4.0;
    let floor = layout.page.height_mm - 22.0;
    let ink = hand.pen(rng);
    for _ in 0..8 {
        let kind = rng.weighted(&[0.3, 0.2, 0.25, 0.15, 0.1]);
        // One signature and one written-in name a sheet at most.
        let once = ["signature", "written_name"];
        if kind < 2 && m.strays.iter().any(|s| s == once[kind]) {
            continue;
        }
        let (s, writing, name): (Vec<Stroke>, Option<Handwriting>, String) = match kind {
            0 => {
                // A signature under the table, to the right.
                if below + 8.0 > floor {
                    continue;
                }
                let (w, h) = (rng.range(28.0, 50.0), rng.range(5.0, 9.0));
                let at = PointMm {
                    x: rng.range(100.0, 185.0 - w),
                    y: rng.range(below + h + 2.0, floor.max(below + h + 2.5)),
                };
                let paths = shapes::signature(rng, w, h);
                let place = Place {
                    at,
                    rot: rng.sym(0.08),
                    shear: rng.range(-0.35, -0.05),
                };
                (
                    strokes(&place, &paths, rng.range(0.3, 0.6), ink),
                    None,
                    "signature".into(),
                )
            }
            1 => {
                // A name written in under the list, sometimes with a drawn box and a cross.
                if below + 8.0 > floor {
                    continue;
                }
                let name = *rng.pick(&[
                    "Phạm Văn D",
                    "Hoàng Thị E",
                    "Võ Minh F",
                    "Đặng Quốc G",
                    "Bùi Thị Hoa",
                ]);
                let cap = rng.range(2.8, 4.0);
                let base = rng.range(below + cap + 1.5, (below + cap + 8.0).min(floor));
                let hw = Handwriting {
                    text: name.into(),
                    at: PointMm {
                        x: cells.first().map_or(table.x_mm + 12.0, |c| c.x_mm + 2.0) + rng.sym(1.5),
                        y: base,
                    },
                    cap_mm: cap,
                    slant: rng.range(0.05, 0.35),
                    ink,
                    wobble: rng.next_u64(),
                };
                let mut s = Vec::new();
                if rng.chance(0.5) {
                    let k = rng.below(3);
                    let x = layout.rows.first().map_or(150.0, |r| r.boxes[k].center().x);
                    let place = Place {
                        at: PointMm {
                            x: x + rng.sym(2.0),
                            y: base - cap / 2.0,
                        },
                        rot: rng.sym(0.05),
                        shear: 0.0,
                    };
                    let side = rng.range(4.5, 6.0);
                    let mut paths = shapes::hand_box(rng, side);
                    let e = rng.range(1.6, 2.4);
                    paths.extend(shapes::cross(rng, e));
                    s = strokes(&place, &paths, hand.width(rng), ink);
                }
                (s, Some(hw), "written_name".into())
            }
            2 => {
                // A doodle in a margin, or under the table when there is room.
                let size = rng.range(4.0, 10.0);
                let spot = rng.below(3);
                let at = match spot {
                    0 => PointMm {
                        x: rng.range(
                            1.5 + size / 2.0,
                            (table.x_mm - size / 2.0).max(2.0 + size / 2.0),
                        ),
                        y: rng.range(25.0, 270.0),
                    },
                    1 => PointMm {
                        x: rng.range(
                            (table.right() + size / 2.0).min(208.0 - size / 2.0),
                            208.5 - size / 2.0,
                        ),
                        y: rng.range(25.0, 270.0),
                    },
                    _ => {
                        if below + size > floor {
                            continue;
                        }
                        PointMm {
                            x: rng.range(20.0, 190.0),
                            y: rng.range(below + size / 2.0, floor),
                        }
                    }
                };
                let (paths, what) = shapes::doodle(rng, size);
                let place = Place {
                    at,
                    rot: rng.sym(0.5),
                    shear: 0.0,
                };
                (
                    strokes(&place, &paths, hand.width(rng), ink),
                    None,
                    format!("doodle:{what}"),
                )
            }
            3 => {
                // A tick beside a box, well clear of its frame.
                let row = rng.pick(&layout.rows);
                let b = row.boxes[rng.below(3)];
                let e = rng.range(1.3, 2.2);
                let w = hand.width(rng);
                let side = if rng.chance(0.5) { 1.0 } else { -1.0 };
                let gap = b.w_mm / 2.0
                    + STRAY_CLEARANCE_MM
                    + 0.4
                    + w / 2.0
                    + e * 1.1
                    + rng.range(0.0, 2.0);
                let c = b.center();
                let place = Place {
                    at: PointMm {
                        x: c.x + side * gap,
                        y: c.y + rng.sym(1.0),
                    },
                    rot: rng.sym(0.2),
                    shear: 0.0,
                };
                (
                    strokes(&place, &shapes::tick(rng, e), w, ink),
                    None,
                    "tick_beside_box".into(),
                )
            }
            _ => {
                // A word in the position column.
                let i = rng.below(layout.rows.len());
                let (xs, ys) = &layout.rules;
                if xs.len() < 4 || ys.len() < i + 3 {
                    continue;
                }
                let word = *rng.pick(&["đồng ý", "tốt", "?", "ok", "xem lại", "cố gắng"]);
                let cap = rng.range(2.2, 3.0);
                let hw = Handwriting {
                    text: word.into(),
                    at: PointMm {
                        x: rng.range(xs[2] + 1.0, xs[3] - 16.0),
                        y: rng.range(ys[i + 1] + cap + 0.8, ys[i + 2] - 1.0),
                    },
                    cap_mm: cap,
                    slant: rng.range(0.0, 0.3),
                    ink,
                    wobble: rng.next_u64(),
                };
                (Vec::new(), Some(hw), "note".into())
            }
        };
        let writing_ok = writing.as_ref().is_none_or(|hw| {
            let b = hw.bounds();
            let corners = [
                PointMm {
                    x: b.x_mm,
                    y: b.y_mm,
                },
                PointMm {
                    x: b.right(),
                    y: b.y_mm,
                },
                PointMm {
                    x: b.x_mm,
                    y: b.bottom(),
                },
                PointMm {
                    x: b.right(),
                    y: b.bottom(),
                },
            ];
            let edges = shapes::resample(&[
                (corners[0].x, corners[0].y),
                (corners[1].x, corners[1].y),
                (corners[3].x, corners[3].y),
                (corners[2].x, corners[2].y),
                (corners[0].x, corners[0].y),
            ]);
            let outline = Stroke::even(
                edges.iter().map(|&(x, y)| PointMm { x, y }).collect(),
                0.0,
                ink,
            );
            !zones.hit(&[outline])
                && !zones
                    .rects
                    .iter()
                    .any(|z| contains(&b, z) || contains(z, &b))
        });
        if !zones.hit(&s) && writing_ok {
            m.strokes.extend(s);
            m.writing.extend(writing);
            m.strays.push(name);
            return;
        }
    }
}

/// Whether `inner`'s centre lies inside `outer`.
fn contains(outer: &RectMm, inner: &RectMm) -> bool {
    let c = inner.center();
    c.x > outer.x_mm && c.x < outer.right() && c.y > outer.y_mm && c.y < outer.bottom()
}
