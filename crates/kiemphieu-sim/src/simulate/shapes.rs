//! The shapes a hand draws, as polylines in local millimetres around `(0, 0)`, y downwards:
//! crosses, ticks, fills, scribbles, circles, dots, strike-throughs, signatures and doodles.
//!
//! Every shape is smoothed and resampled densely (a point every 0.2 mm or closer), so that a
//! check on its points is a check on its whole path.

use std::f64::consts::{PI, TAU};

use super::rng::SimRng;
use crate::layout::PointMm;

/// Points of one pen movement, local millimetres.
pub type Path = Vec<(f64, f64)>;

/// Longest distance between two consecutive points of a finished path.
pub const STEP_MM: f64 = 0.2;

/// A Catmull–Rom curve through the control points, resampled every [`STEP_MM`].
pub fn smooth(ctrl: &[(f64, f64)]) -> Path {
    if ctrl.len() < 3 {
        return resample(ctrl);
    }
    let mut out = Vec::new();
    for i in 0..ctrl.len() - 1 {
        let p0 = if i == 0 { ctrl[0] } else { ctrl[i - 1] };
        let (p1, p2) = (ctrl[i], ctrl[i + 1]);
        let p3 = if i + 2 < ctrl.len() {
            ctrl[i + 2]
        } else {
            ctrl[i + 1]
        };
        let n = 8;
        for s in 0..n {
            let t = s as f64 / n as f64;
            let (t2, t3) = (t * t, t * t * t);
            let f = |a: f64, b: f64, c: f64, d: f64| {
                0.5 * (2.0 * b
                    + (-a + c) * t
                    + (2.0 * a - 5.0 * b + 4.0 * c - d) * t2
                    + (-a + 3.0 * b - 3.0 * c + d) * t3)
            };
            out.push((f(p0.0, p1.0, p2.0, p3.0), f(p0.1, p1.1, p2.1, p3.1)));
        }
    }
    out.push(*ctrl.last().expect("non-empty"));
    resample(&out)
}

/// Inserts points so that no two consecutive ones are more than [`STEP_MM`] apart.
pub fn resample(pts: &[(f64, f64)]) -> Path {
    let mut out = Vec::with_capacity(pts.len() * 2);
    for (i, &p) in pts.iter().enumerate() {
        if i > 0 {
            let q = pts[i - 1];
            let d = ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
            let n = (d / STEP_MM).ceil() as usize;
            for k in 1..n {
                let t = k as f64 / n as f64;
                out.push((q.0 + (p.0 - q.0) * t, q.1 + (p.1 - q.1) * t));
            }
        }
        out.push(p);
    }
    out
}

/// A hand's slow wobble: two low-frequency sines along the path, `amp` millimetres at most.
pub fn tremble(path: &mut Path, rng: &mut SimRng, amp: f64) {
    let (f1, f2) = (rng.range(0.4, 1.2), rng.range(0.5, 1.5));
    let (p1, p2) = (rng.range(0.0, TAU), rng.range(0.0, TAU));
    let mut s = 0.0;
    let mut prev = path.first().copied().unwrap_or((0.0, 0.0));
    for p in path.iter_mut() {
        s += ((p.0 - prev.0).powi(2) + (p.1 - prev.1).powi(2)).sqrt();
        prev = *p;
        p.0 += amp * (f1 * s + p1).sin() * 0.7;
        p.1 += amp * (f2 * s + p2).sin() * 0.7;
    }
}

/// Where a local shape goes on the page: shear, then rotation, then translation to `at`.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub at: PointMm,
    /// Radians, clockwise on the page.
    pub rot: f64,
    pub shear: f64,
}

impl Place {
    pub fn map(&self, p: (f64, f64)) -> PointMm {
        let x = p.0 - self.shear * p.1;
        let (s, c) = self.rot.sin_cos();
        PointMm {
            x: self.at.x + x * c - p.1 * s,
            y: self.at.y + x * s + p.1 * c,
        }
    }
    pub fn path(&self, p: &Path) -> Vec<PointMm> {
        p.iter().map(|&q| self.map(q)).collect()
    }
}

fn bowed_line(rng: &mut SimRng, a: (f64, f64), b: (f64, f64), bow: f64) -> Path {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let off = rng.sym(bow);
    let mid = (
        (a.0 + b.0) / 2.0 - dy / len * off,
        (a.1 + b.1) / 2.0 + dx / len * off,
    );
    smooth(&[a, mid, b])
}

/// An X of half-width `e`: two bowed diagonals, sometimes with a flick at the end.
pub fn cross(rng: &mut SimRng, e: f64) -> Vec<Path> {
    let ey = e * rng.range(0.8, 1.15);
    let mut j = || rng.sym(0.15 * e);
    let (a, b) = ((-e + j(), -ey + j()), (e + j(), ey + j()));
    let (c, d) = ((e + j(), -ey + j()), (-e + j(), ey + j()));
    let mut first = bowed_line(rng, a, b, 0.25);
    let mut second = bowed_line(rng, c, d, 0.25);
    if rng.chance(0.2) {
        let end = *second.last().expect("points");
        second.extend(
            resample(&[end, (end.0 - 0.4, end.1 - 0.5)])
                .into_iter()
                .skip(1),
        );
    }
    if rng.chance(0.5) {
        std::mem::swap(&mut first, &mut second);
    }
    vec![first, second]
}

/// A slash: one bowed diagonal of half-width `e`, rising or falling, steep or flat.
pub fn slash(rng: &mut SimRng, e: f64) -> Vec<Path> {
    let ey = e * rng.range(0.6, 1.2);
    let rising = rng.chance(0.7);
    let (a, b) = if rising {
        ((-e, ey), (e, -ey))
    } else {
        ((-e, -ey), (e, ey))
    };
    vec![bowed_line(rng, a, b, 0.2)]
}

/// A tick: a short stroke down, a long one up to the right, in one movement.
pub fn tick(rng: &mut SimRng, e: f64) -> Vec<Path> {
    let start = (-e * rng.range(0.8, 1.0), -e * rng.range(-0.1, 0.25));
    let bottom = (-e * rng.range(0.1, 0.4), e * rng.range(0.6, 0.9));
    let end = (e * rng.range(0.85, 1.05), -e * rng.range(0.9, 1.1));
    let knee = (bottom.0 + 0.05 * e, bottom.1 - 0.05 * e);
    vec![smooth(&[start, bottom, knee, end])]
}

/// A filled blob: back-and-forth strokes across an ellipse, `spacing` apart.
pub fn fill(rng: &mut SimRng, ex: f64, ey: f64, spacing: f64) -> Vec<Path> {
    let angle = rng.range(0.0, PI);
    let (d, n) = ((angle.cos(), angle.sin()), (-angle.sin(), angle.cos()));
    let reach = ex.max(ey);
    let mut ctrl = Vec::new();
    let mut v = -reach + spacing / 2.0;
    let mut forward = true;
    while v < reach {
        // Solve |v·n + t·d| on the ellipse for t.
        let (px, py) = (v * n.0, v * n.1);
        let a = d.0 * d.0 / (ex * ex) + d.1 * d.1 / (ey * ey);
        let b = 2.0 * (px * d.0 / (ex * ex) + py * d.1 / (ey * ey));
        let c = px * px / (ex * ex) + py * py / (ey * ey) - 1.0;
        let disc = b * b - 4.0 * a * c;
        if disc > 0.0 {
            let (t0, t1) = (
                (-b - disc.sqrt()) / (2.0 * a),
                (-b + disc.sqrt()) / (2.0 * a),
            );
            let over = rng.range(-0.1, 0.25);
            let (ta, tb) = if forward {
                (t0 - over, t1 + over)
            } else {
                (t1 + over, t0 - over)
            };
            ctrl.push((px + ta * d.0, py + ta * d.1));
            ctrl.push((px + tb * d.0, py + tb * d.1));
            forward = !forward;
        }
        v += spacing * rng.range(0.85, 1.1);
    }
    vec![resample(&ctrl)]
}

/// A loose scribble: a Lissajous-like loop inside `e`.
pub fn scribble(rng: &mut SimRng, e: f64) -> Vec<Path> {
    let (a, b) = (rng.range(1.0, 2.3), rng.range(1.3, 3.1));
    let (p1, p2) = (rng.range(0.0, TAU), rng.range(0.0, TAU));
    let turns = rng.range(2.0, 3.5);
    let n = 160;
    let pts: Vec<(f64, f64)> = (0..=n)
        .map(|i| {
            let t = TAU * turns * i as f64 / n as f64;
            let shrink = 1.0 - 0.25 * (i as f64 / n as f64);
            (
                e * 0.8 * shrink * (a * t + p1).sin(),
                e * 0.8 * shrink * (b * t + p2).sin(),
            )
        })
        .collect();
    vec![resample(&pts)]
}

/// A circle drawn inside the box: radius `r`, closing with a small overlap, slightly spiralling.
pub fn circle(rng: &mut SimRng, r: f64) -> Vec<Path> {
    let squash = rng.range(0.85, 1.1);
    let start = rng.range(0.0, TAU);
    let sweep = TAU * rng.range(0.95, 1.15);
    let n = 72;
    let pts: Vec<(f64, f64)> = (0..=n)
        .map(|i| {
            let f = i as f64 / n as f64;
            let a = start + sweep * f;
            let rr = r * (1.0 - 0.1 * f);
            (rr * a.cos(), rr * squash * a.sin())
        })
        .collect();
    vec![resample(&pts)]
}

/// A small, heavy mark: a tight spiral blob or a stubby tick, `grow` times its usual size.
pub fn dot(rng: &mut SimRng, grow: f64) -> Vec<Path> {
    if rng.chance(0.65) {
        let r = rng.range(0.8, 1.2) * grow;
        let turns = rng.range(2.5, 4.0);
        let n = 80;
        let pts: Vec<(f64, f64)> = (0..=n)
            .map(|i| {
                let f = i as f64 / n as f64;
                let a = TAU * turns * f;
                (
                    r * (1.0 - 0.75 * f) * a.cos(),
                    r * (1.0 - 0.75 * f) * a.sin(),
                )
            })
            .collect();
        vec![resample(&pts)]
    } else {
        let e = rng.range(1.7, 2.2) * grow;
        tick(rng, e)
    }
}

/// A line through a name from `x0` to `x1` (page mm, since it is long and straight), at height
/// `y`, rising `tilt` over its length. `wave` > 0 makes it a wavy line of that amplitude.
pub fn strike(rng: &mut SimRng, x0: f64, x1: f64, y: f64, tilt: f64, wave: f64) -> Path {
    let len = x1 - x0;
    let n = (len / STEP_MM).ceil().max(2.0) as usize;
    let wavelength = rng.range(2.5, 4.5);
    let phase = rng.range(0.0, TAU);
    let bow = rng.sym(0.3);
    let pts: Vec<(f64, f64)> = (0..=n)
        .map(|i| {
            let f = i as f64 / n as f64;
            let x = x0 + len * f;
            let w = wave * (TAU * (x - x0) / wavelength + phase).sin();
            (x, y - tilt / 2.0 + tilt * f + bow * 4.0 * f * (1.0 - f) + w)
        })
        .collect();
    let mut p = resample(&pts);
    tremble(&mut p, rng, 0.08);
    p
}

/// A signature: a large initial loop, a run of looping letters, and often an underline,
/// `width` long and about `height` tall, on a baseline at y = 0 starting at x = 0.
pub fn signature(rng: &mut SimRng, width: f64, height: f64) -> Vec<Path> {
    let mut paths = Vec::new();
    // The capital: a tall loop.
    let cap_h = height * rng.range(0.9, 1.3);
    let cap: Vec<(f64, f64)> = vec![
        (0.0, 0.0),
        (cap_h * 0.15, -cap_h * 0.8),
        (cap_h * 0.45, -cap_h),
        (cap_h * 0.5, -cap_h * 0.55),
        (cap_h * 0.1, -cap_h * 0.35),
        (cap_h * 0.6, -cap_h * 0.05),
    ];
    paths.push(smooth(&cap));
    // Looping letters: a prolate cycloid whose loops change size.
    let start = cap_h * 0.55;
    let pitch = height * rng.range(0.35, 0.6);
    let loops = (((width - start) / pitch).floor() as usize).max(2);
    let a = pitch / TAU;
    let mut run = Vec::new();
    let mut sizes: Vec<f64> = (0..=loops).map(|_| rng.range(0.6, 1.2)).collect();
    for s in sizes.iter_mut() {
        if rng.chance(0.2) {
            *s *= 1.9;
        }
    }
    let per = 24;
    for i in 0..=(loops * per) {
        let t = TAU * i as f64 / per as f64;
        let k = (i / per).min(loops);
        let b = height * 0.22 * sizes[k];
        run.push((start + a * t - b * t.sin(), -b * (1.0 - t.cos())));
    }
    let mut run = resample(&run);
    tremble(&mut run, rng, 0.12);
    paths.push(run);
    if rng.chance(0.6) {
        let y = height * rng.range(0.15, 0.4);
        let under = smooth(&[
            (width * 0.05, y + 0.3),
            (width * 0.5, y + rng.sym(0.4)),
            (width * rng.range(0.8, 1.05), y - 0.5),
        ]);
        paths.push(under);
    }
    paths
}

/// A doodle of about `size` across, centred on `(0, 0)`: spiral, star, flower, heart or zigzag.
pub fn doodle(rng: &mut SimRng, size: f64) -> (Vec<Path>, &'static str) {
    let r = size / 2.0;
    match rng.below(5) {
        0 => {
            let turns = rng.range(2.0, 3.5);
            let n = 120;
            let p: Vec<(f64, f64)> = (0..=n)
                .map(|i| {
                    let f = i as f64 / n as f64;
                    let a = TAU * turns * f;
                    (r * f * a.cos(), r * f * a.sin())
                })
                .collect();
            (vec![resample(&p)], "spiral")
        }
        1 => {
            let p: Vec<(f64, f64)> = (0..=5)
                .map(|i| {
                    let a = -PI / 2.0 + i as f64 * 4.0 * PI / 5.0;
                    (r * a.cos(), r * a.sin())
                })
                .collect();
            (vec![resample(&p)], "star")
        }
        2 => {
            let petals = *rng.pick(&[3.0, 4.0, 5.0]);
            let n = 150;
            let p: Vec<(f64, f64)> = (0..=n)
                .map(|i| {
                    let a = TAU * i as f64 / n as f64;
                    let rr = r * (petals * a).cos().abs();
                    (rr * a.cos(), rr * a.sin())
                })
                .collect();
            (vec![resample(&p)], "flower")
        }
        3 => {
            let n = 100;
            let p: Vec<(f64, f64)> = (0..=n)
                .map(|i| {
                    let t = TAU * i as f64 / n as f64;
                    let x = 16.0 * t.sin().powi(3);
                    let y = 13.0 * t.cos()
                        - 5.0 * (2.0 * t).cos()
                        - 2.0 * (3.0 * t).cos()
                        - (4.0 * t).cos();
                    (x * r / 17.0, -y * r / 17.0)
                })
                .collect();
            (vec![resample(&p)], "heart")
        }
        _ => {
            let n = rng.int(4, 7) as usize;
            let p: Vec<(f64, f64)> = (0..=n)
                .map(|i| {
                    (
                        -r + 2.0 * r * i as f64 / n as f64,
                        if i % 2 == 0 { -r * 0.4 } else { r * 0.4 },
                    )
                })
                .collect();
            (vec![resample(&p)], "zigzag")
        }
    }
}

/// A square drawn by hand, side `s`, centred on `(0, 0)`: four slightly crooked strokes.
pub fn hand_box(rng: &mut SimRng, s: f64) -> Vec<Path> {
    let h = s / 2.0;
    let mut j = || rng.sym(0.25);
    let c = [
        (-h + j(), -h + j()),
        (h + j(), -h + j()),
        (h + j(), h + j()),
        (-h + j(), h + j()),
    ];
    (0..4)
        .map(|i| bowed_line(rng, c[i], c[(i + 1) % 4], 0.2))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_dense() {
        let mut rng = SimRng::new(3);
        let mut all = cross(&mut rng, 3.0);
        all.extend(tick(&mut rng, 3.0));
        all.extend(fill(&mut rng, 2.5, 2.5, 0.5));
        all.extend(signature(&mut rng, 40.0, 6.0));
        all.push(strike(&mut rng, 0.0, 30.0, 0.0, 0.5, 0.7));
        for p in &all {
            for w in p.windows(2) {
                let d = ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
                assert!(d <= STEP_MM + 0.2, "{d}");
            }
        }
    }
}
