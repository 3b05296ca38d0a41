//! From layout millimetres to image pixels: a projective transform fitted to the registration marks.

use image::GrayImage;

use crate::layout::PointMm;

/// A point in image pixels (x right, y down; pixel centres at .5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointPx {
    pub x: f64,
    pub y: f64,
}

/// A projective transform from page millimetres to image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageToImage {
    h: [f64; 9],
}

/// Translate and scale a point set to mean 0 and mean distance √2 (Hartley), for a well-conditioned fit.
fn normalizer(points: &[(f64, f64)]) -> [f64; 9] {
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
    let d = points
        .iter()
        .map(|p| ((p.0 - mx).powi(2) + (p.1 - my).powi(2)).sqrt())
        .sum::<f64>()
        / n;
    let s = if d > 0.0 {
        std::f64::consts::SQRT_2 / d
    } else {
        1.0
    };
    [s, 0.0, -s * mx, 0.0, s, -s * my, 0.0, 0.0, 1.0]
}

fn mul(a: &[f64; 9], b: &[f64; 9]) -> [f64; 9] {
    let mut c = [0.0; 9];
    for r in 0..3 {
        for k in 0..3 {
            c[r * 3 + k] = (0..3).map(|j| a[r * 3 + j] * b[j * 3 + k]).sum();
        }
    }
    c
}

fn invert(m: &[f64; 9]) -> Option<[f64; 9]> {
    let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
        + m[2] * (m[3] * m[7] - m[4] * m[6]);
    if det.abs() < 1e-12 {
        return None;
    }
    let inv = [
        m[4] * m[8] - m[5] * m[7],
        m[2] * m[7] - m[1] * m[8],
        m[1] * m[5] - m[2] * m[4],
        m[5] * m[6] - m[3] * m[8],
        m[0] * m[8] - m[2] * m[6],
        m[2] * m[3] - m[0] * m[5],
        m[3] * m[7] - m[4] * m[6],
        m[1] * m[6] - m[0] * m[7],
        m[0] * m[4] - m[1] * m[3],
    ];
    Some(inv.map(|v| v / det))
}

/// Solves `a x = b` (n ≤ 8) by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let f = a[row][col] / a[col][col];
            let (upper, lower) = a.split_at_mut(row);
            for (x, p) in lower[0][col..n].iter_mut().zip(&upper[col][col..n]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

impl PageToImage {
    /// Least-squares fit from four or more correspondences; `None` when they are degenerate.
    pub fn fit(pairs: &[(PointMm, PointPx)]) -> Option<PageToImage> {
        if pairs.len() < 4 {
            return None;
        }
        let src: Vec<(f64, f64)> = pairs.iter().map(|(m, _)| (m.x, m.y)).collect();
        let dst: Vec<(f64, f64)> = pairs.iter().map(|(_, p)| (p.x, p.y)).collect();
        let ts = normalizer(&src);
        let td = normalizer(&dst);
        let apply = |t: &[f64; 9], p: (f64, f64)| (t[0] * p.0 + t[2], t[4] * p.1 + t[5]);
        // Normal equations of the 2N × 8 system.
        let mut ata = vec![vec![0.0; 8]; 8];
        let mut atb = vec![0.0; 8];
        for (s, d) in src.iter().zip(&dst) {
            let (x, y) = apply(&ts, *s);
            let (u, v) = apply(&td, *d);
            let rows = [
                ([x, y, 1.0, 0.0, 0.0, 0.0, -x * u, -y * u], u),
                ([0.0, 0.0, 0.0, x, y, 1.0, -x * v, -y * v], v),
            ];
            for (r, rhs) in rows {
                for i in 0..8 {
                    for j in 0..8 {
                        ata[i][j] += r[i] * r[j];
                    }
                    atb[i] += r[i] * rhs;
                }
            }
        }
        let h = solve(ata, atb)?;
        let hn = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0];
        let full = mul(&invert(&td)?, &mul(&hn, &ts));
        let s = full[8];
        if s.abs() < 1e-15 {
            return None;
        }
        Some(PageToImage {
            h: full.map(|v| v / s),
        })
    }

    /// Where a page point lands in the image.
    pub fn map(&self, p: PointMm) -> PointPx {
        let h = &self.h;
        let w = h[6] * p.x + h[7] * p.y + h[8];
        PointPx {
            x: (h[0] * p.x + h[1] * p.y + h[2]) / w,
            y: (h[3] * p.x + h[4] * p.y + h[5]) / w,
        }
    }

    /// Pixels per millimetre near a page point (the mean of the two axes' local scales).
    pub fn px_per_mm(&self, p: PointMm) -> f64 {
        let a = self.map(p);
        let bx = self.map(PointMm {
            x: p.x + 1.0,
            y: p.y,
        });
        let by = self.map(PointMm {
            x: p.x,
            y: p.y + 1.0,
        });
        (((bx.x - a.x).hypot(bx.y - a.y)) + ((by.x - a.x).hypot(by.y - a.y))) / 2.0
    }
}

/// Bilinear sample of a gray image at a pixel position; white outside the image.
pub fn sample(img: &GrayImage, p: PointPx) -> f64 {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let x = p.x - 0.5;
    let y = p.y - 0.5;
    // Truncation is the floor for non-negative values, and much cheaper than the libm call.
    let floor = |v: f64| if v >= 0.0 { v as i64 } else { v.floor() as i64 };
    let (x0, y0) = (floor(x), floor(y));
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
        // Inside the image (nearly always): the four pixels straight from the buffer.
        let (stride, i) = (w as usize, y0 as usize * w as usize + x0 as usize);
        let raw = img.as_raw();
        let (a, b) = (raw[i] as f64, raw[i + 1] as f64);
        let (c, d) = (raw[i + stride] as f64, raw[i + stride + 1] as f64);
        let top = a * (1.0 - fx) + b * fx;
        let bottom = c * (1.0 - fx) + d * fx;
        return top * (1.0 - fy) + bottom * fy;
    }
    let at = |xx: i64, yy: i64| -> f64 {
        if xx < 0 || yy < 0 || xx >= w || yy >= h {
            255.0
        } else {
            img.get_pixel(xx as u32, yy as u32).0[0] as f64
        }
    };
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
    let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_a_rotation_and_scale() {
        let (s, a) = (11.811_f64, 0.1_f64);
        let truth = |p: PointMm| PointPx {
            x: 40.0 + s * (p.x * a.cos() - p.y * a.sin()),
            y: 70.0 + s * (p.x * a.sin() + p.y * a.cos()),
        };
        let pts = [(14.0, 14.0), (196.0, 14.0), (14.0, 283.0), (196.0, 283.0)]
            .map(|(x, y)| PointMm { x, y });
        let pairs: Vec<_> = pts.iter().map(|&p| (p, truth(p))).collect();
        let t = PageToImage::fit(&pairs).unwrap();
        let q = PointMm { x: 120.0, y: 150.0 };
        let (got, want) = (t.map(q), truth(q));
        assert!((got.x - want.x).abs() < 1e-6 && (got.y - want.y).abs() < 1e-6);
        assert!((t.px_per_mm(q) - s).abs() < 1e-6);
    }

    #[test]
    fn degenerate_points_do_not_fit() {
        let p = PointMm { x: 1.0, y: 1.0 };
        let q = PointPx { x: 5.0, y: 5.0 };
        assert!(PageToImage::fit(&[(p, q); 4]).is_none());
    }
}
