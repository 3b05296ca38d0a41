//! The scanner's pixel work, written for speed on one core: one projective warp (bilinear, fixed
//! point), a separable Gaussian blur and table-driven sensor noise, on raw 8-bit buffers with
//! 1 or 3 channels.

use super::rng::SimRng;

/// A plane projective transform (3×3, row-major, acting on `(x, y, 1)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Homography([f64; 9]);

impl Homography {
    /// The transform that takes each `from[i]` to `to[i]`; `None` when the points are degenerate.
    pub fn from_corners(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Option<Homography> {
        // h33 = 1; two equations per correspondence.
        let mut a = [[0f64; 9]; 8];
        for (i, (&(x, y), &(u, v))) in from.iter().zip(&to).enumerate() {
            a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        for col in 0..8 {
            let pivot = (col..8).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))?;
            if a[pivot][col].abs() < 1e-12 {
                return None;
            }
            a.swap(col, pivot);
            let pivot_row = a[col];
            for (r, row) in a.iter_mut().enumerate() {
                if r != col {
                    let f = row[col] / pivot_row[col];
                    for (v, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                        *v -= f * p;
                    }
                }
            }
        }
        let h: [f64; 8] = std::array::from_fn(|i| a[i][8] / a[i][i]);
        Some(Homography([
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0,
        ]))
    }

    pub fn map(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        (
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        )
    }

    pub fn inverse(&self) -> Option<Homography> {
        let m = &self.0;
        let c = [
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
        let det = m[0] * c[0] + m[1] * c[3] + m[2] * c[6];
        if det.abs() < 1e-12 || c[8].abs() < 1e-12 {
            return None;
        }
        Some(Homography(c.map(|v| v / c[8])))
    }
}

/// Fills `dst` (`dw`×`dh`, `C` channels) from `src` through `dst_to_src`, which maps continuous
/// destination coordinates (pixel centres at +0.5) to continuous source coordinates. Bilinear;
/// outside the source, `border`.
#[allow(clippy::too_many_arguments)]
pub fn warp<const C: usize>(
    src: &[u8],
    sw: usize,
    sh: usize,
    dst: &mut [u8],
    dw: usize,
    dh: usize,
    dst_to_src: &Homography,
    border: [u8; C],
) {
    let m = dst_to_src.0;
    let stride = sw * C;
    let fetch = |x: isize, y: isize| -> [u8; C] {
        if x < 0 || y < 0 || x >= sw as isize || y >= sh as isize {
            border
        } else {
            let i = y as usize * stride + x as usize * C;
            std::array::from_fn(|c| src[i + c])
        }
    };
    for (y, row) in dst.chunks_exact_mut(dw * C).take(dh).enumerate() {
        let yc = y as f64 + 0.5;
        let (mut gx, mut gy, mut gw) = (
            m[0] * 0.5 + m[1] * yc + m[2],
            m[3] * 0.5 + m[4] * yc + m[5],
            m[6] * 0.5 + m[7] * yc + m[8],
        );
        for out in row.chunks_exact_mut(C) {
            let inv = 1.0 / gw;
            // Source pixel centres sit at integer coordinates from here on.
            let (sx, sy) = (gx * inv - 0.5, gy * inv - 0.5);
            gx += m[0];
            gy += m[3];
            gw += m[6];
            if !(sx > -1.0 && sy > -1.0 && sx < sw as f64 && sy < sh as f64) {
                out.copy_from_slice(&border);
                continue;
            }
            // Both are above −1 here, so truncating `s + 1` floors `s` (without a libm call).
            let (x0, y0) = ((sx + 1.0) as isize - 1, (sy + 1.0) as isize - 1);
            let fx = ((sx - x0 as f64) * 256.0) as u32;
            let fy = ((sy - y0 as f64) * 256.0) as u32;
            let w00 = (256 - fx) * (256 - fy);
            let w01 = fx * (256 - fy);
            let w10 = (256 - fx) * fy;
            let w11 = fx * fy;
            if x0 >= 0 && y0 >= 0 && ((x0 + 1) as usize) < sw && ((y0 + 1) as usize) < sh {
                let i = y0 as usize * stride + x0 as usize * C;
                let (top, bottom) = (&src[i..i + 2 * C], &src[i + stride..i + stride + 2 * C]);
                for c in 0..C {
                    let v = top[c] as u32 * w00
                        + top[C + c] as u32 * w01
                        + bottom[c] as u32 * w10
                        + bottom[C + c] as u32 * w11;
                    out[c] = ((v + 32768) >> 16) as u8;
                }
            } else {
                let (p00, p01, p10, p11) = (
                    fetch(x0, y0),
                    fetch(x0 + 1, y0),
                    fetch(x0, y0 + 1),
                    fetch(x0 + 1, y0 + 1),
                );
                for c in 0..C {
                    let v = p00[c] as u32 * w00
                        + p01[c] as u32 * w01
                        + p10[c] as u32 * w10
                        + p11[c] as u32 * w11;
                    out[c] = ((v + 32768) >> 16) as u8;
                }
            }
        }
    }
}

/// A separable Gaussian blur in fixed point, edges replicated.
pub fn blur(buf: &mut [u8], w: usize, h: usize, ch: usize, sigma: f64) {
    if w == 0 || h == 0 {
        return;
    }
    let radius = (sigma * 2.5).ceil().max(1.0) as usize;
    let raw: Vec<f64> = (0..=2 * radius)
        .map(|i| (-((i as f64 - radius as f64).powi(2)) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = raw.iter().sum();
    let mut kernel: Vec<u32> = raw
        .iter()
        .map(|v| (v / total * 65536.0).round() as u32)
        .collect();
    // Weights that sum to exactly 2^16, so that normalising is a shift.
    let sum: u32 = kernel.iter().sum();
    kernel[radius] = (kernel[radius] as i64 + 65536 - sum as i64) as u32;
    let stride = w * ch;
    // Horizontal, a row at a time through a padded copy.
    let mut padded = vec![0u8; (w + 2 * radius) * ch];
    let mut acc = vec![0u32; stride];
    for y in 0..h {
        let row = &mut buf[y * stride..(y + 1) * stride];
        padded[radius * ch..(radius + w) * ch].copy_from_slice(row);
        for i in 0..radius {
            padded.copy_within(radius * ch..(radius + 1) * ch, i * ch);
            padded.copy_within(
                (radius + w - 1) * ch..(radius + w) * ch,
                (radius + w + i) * ch,
            );
        }
        acc.iter_mut().for_each(|a| *a = 0);
        for (i, &kv) in kernel.iter().enumerate() {
            for (a, &v) in acc.iter_mut().zip(&padded[i * ch..i * ch + stride]) {
                *a += kv * v as u32;
            }
        }
        for (o, a) in row.iter_mut().zip(&acc) {
            *o = ((a + 32768) >> 16) as u8;
        }
    }
    // Vertical, a row at a time from a copy.
    let copy = buf.to_vec();
    for y in 0..h {
        acc.iter_mut().for_each(|a| *a = 0);
        for (i, &kv) in kernel.iter().enumerate() {
            let sy = (y + i).saturating_sub(radius).min(h - 1);
            for (a, &v) in acc.iter_mut().zip(&copy[sy * stride..(sy + 1) * stride]) {
                *a += kv * v as u32;
            }
        }
        for (o, a) in buf[y * stride..(y + 1) * stride].iter_mut().zip(&acc) {
            *o = ((a + 32768) >> 16) as u8;
        }
    }
}

/// Sensor noise: Gaussian with deviation `sigma` grey levels. A megabyte of noise is drawn once
/// and each row of `row_len` bytes adds it from its own random offset: as random as a scanner's
/// noise for any reader, and a saturating add that runs at memory speed.
pub fn add_noise(buf: &mut [u8], row_len: usize, sigma: f64, rng: &mut SimRng) {
    let mut table = [0i8; 4096];
    for t in table.iter_mut() {
        *t = (rng.normal() * sigma).round().clamp(-127.0, 127.0) as i8;
    }
    const LEN: usize = 1 << 20;
    let mut noise = vec![0i8; LEN];
    for chunk in noise.chunks_mut(5) {
        let mut bits = rng.next_u64();
        for n in chunk {
            *n = table[(bits & 0xFFF) as usize];
            bits >>= 12;
        }
    }
    let row_len = row_len.clamp(1, LEN / 2);
    for row in buf.chunks_mut(row_len) {
        let start = rng.below(LEN - row_len);
        for (v, &n) in row.iter_mut().zip(&noise[start..]) {
            *v = v.saturating_add_signed(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_homography_maps_its_corners_and_inverts() {
        let from = [(0.0, 0.0), (100.0, 0.0), (100.0, 200.0), (0.0, 200.0)];
        let to = [(10.0, 5.0), (108.0, 9.0), (103.0, 211.0), (7.0, 204.0)];
        let h = Homography::from_corners(from, to).unwrap();
        let inv = h.inverse().unwrap();
        for (f, t) in from.iter().zip(&to) {
            let m = h.map(*f);
            assert!(
                (m.0 - t.0).abs() < 1e-9 && (m.1 - t.1).abs() < 1e-9,
                "{m:?}"
            );
            let b = inv.map(*t);
            assert!(
                (b.0 - f.0).abs() < 1e-9 && (b.1 - f.1).abs() < 1e-9,
                "{b:?}"
            );
        }
        assert!(Homography::from_corners(from, [(0.0, 0.0); 4]).is_none());
    }

    #[test]
    fn the_identity_warp_copies_and_a_shift_moves() {
        let (w, h) = (8, 6);
        let src: Vec<u8> = (0..w * h).map(|i| (i * 5) as u8).collect();
        let id = Homography::from_corners(
            [(0.0, 0.0), (8.0, 0.0), (8.0, 6.0), (0.0, 6.0)],
            [(0.0, 0.0), (8.0, 0.0), (8.0, 6.0), (0.0, 6.0)],
        )
        .unwrap();
        let mut dst = vec![0u8; w * h];
        warp::<1>(&src, w, h, &mut dst, w, h, &id, [255]);
        assert_eq!(dst, src);
        let shift = Homography::from_corners(
            [(0.0, 0.0), (8.0, 0.0), (8.0, 6.0), (0.0, 6.0)],
            [(-2.0, 0.0), (6.0, 0.0), (6.0, 6.0), (-2.0, 6.0)],
        )
        .unwrap();
        // Destination x reads source x − 2: the picture moves right, the border comes in left.
        warp::<1>(&src, w, h, &mut dst, w, h, &shift, [255]);
        assert_eq!(dst[2], src[0]);
        assert_eq!(dst[w - 1], src[w - 3]);
        assert_eq!(dst[0], 255);
    }

    #[test]
    fn blur_keeps_a_flat_image_flat_and_softens_an_edge() {
        let (w, h) = (20, 10);
        let mut buf = vec![200u8; w * h * 3];
        blur(&mut buf, w, h, 3, 1.0);
        assert!(buf.iter().all(|&v| v == 200));
        let mut edge: Vec<u8> = (0..w * h)
            .map(|i| if i % w < 10 { 0 } else { 255 })
            .collect();
        blur(&mut edge, w, h, 1, 1.0);
        assert!(edge[9] > 0 && edge[9] < 128 && edge[10] > 128 && edge[10] < 255);
        assert_eq!(edge[0], 0);
    }

    #[test]
    fn noise_has_about_the_asked_deviation() {
        let mut buf = vec![128u8; 100_000];
        add_noise(&mut buf, 1000, 5.0, &mut SimRng::new(9));
        let mean = buf.iter().map(|&v| v as f64).sum::<f64>() / buf.len() as f64;
        let var = buf.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / buf.len() as f64;
        assert!((mean - 128.0).abs() < 0.3, "{mean}");
        assert!((var.sqrt() - 5.0).abs() < 0.4, "{}", var.sqrt());
    }
}
