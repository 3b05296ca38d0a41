//! The results table.

use super::*;

/// The results table: one row per subject; for each level its count and its share of the ballots
/// collected. The type shrinks until the columns fit the text width.
pub(super) fn results_table(w: &mut Writer, form: &Form, t: &Tally) {
    let pad = 1.1;
    let levels: Vec<String> = (0..form
        .levels
        .len()
        .max(t.subjects.first().map_or(0, |s| s.counts.len())))
        .map(|i| {
            form.levels
                .get(i)
                .cloned()
                .unwrap_or_else(|| t.level_name(i))
        })
        .collect();
    let fixed = [
        "STT",
        "Họ và tên",
        "Chức vụ",
        "Phát ra",
        "Thu về",
        "Hợp lệ",
        "Không hợp lệ",
    ];
    let sub = ["Số phiếu", "Tỉ lệ %"];
    let rows: Vec<Vec<String>> = t
        .subjects
        .iter()
        .map(|s| {
            let mut r = vec![
                s.subject.to_string(),
                s.name.clone(),
                s.position.clone(),
                vi_number(t.issued),
                vi_number(t.collected),
                vi_number(s.valid),
                vi_number(s.invalid),
            ];
            for i in 0..levels.len() {
                r.push(s.counts.get(i).map_or(String::new(), |c| vi_number(*c)));
                r.push(s.percents.get(i).map(|p| vi_percent(p)).unwrap_or_default());
            }
            r
        })
        .collect();
    let ncols = fixed.len() + 2 * levels.len();
    let header_label = |c: usize| -> &str {
        if c < fixed.len() {
            fixed[c]
        } else {
            sub[(c - fixed.len()) % 2]
        }
    };
    let longest_word = |font: &BallotFont, text: &str, size: f64| {
        text.split_whitespace()
            .map(|wd| font.width_mm(wd, size))
            .fold(0.0, f64::max)
    };

    // Choose the type size: the largest at which the names and positions take at most three
    // lines, else the one that takes the fewest.
    let fit_at = |size: f64| -> (Vec<f64>, usize) {
        let (reg, bold) = (&w.fonts.measure(false), &w.fonts.measure(true));
        let mut widths = vec![0.0; ncols];
        for (c, width) in widths.iter_mut().enumerate() {
            if c == 1 || c == 2 {
                continue;
            }
            let data = rows
                .iter()
                .map(|r| reg.width_mm(&r[c], size))
                .fold(0.0, f64::max);
            *width = longest_word(bold, header_label(c), size).max(data) + 2.0 * pad + SLACK;
        }
        for (i, l) in levels.iter().enumerate() {
            let (a, b) = (fixed.len() + 2 * i, fixed.len() + 2 * i + 1);
            let need = longest_word(bold, l, size) + 2.0 * pad + SLACK;
            if widths[a] + widths[b] < need {
                widths[b] = need - widths[a];
            }
        }
        let rest = WIDTH - widths.iter().sum::<f64>();
        // The narrowest each text column may be (its longest word), and its width unwrapped.
        let min_of = |c: usize| {
            rows.iter()
                .map(|r| longest_word(reg, &r[c], size))
                .fold(longest_word(bold, header_label(c), size), f64::max)
                + 2.0 * pad
                + SLACK
        };
        let natural = |c: usize| {
            rows.iter()
                .map(|r| reg.width_mm(&r[c], size))
                .fold(longest_word(bold, header_label(c), size), f64::max)
                + 2.0 * pad
                + SLACK
        };
        let (name_min, pos_min) = (min_of(1), min_of(2));
        let (name_nat, pos_nat) = (natural(1), natural(2));
        let name_w = if name_nat + pos_nat <= rest {
            name_nat + (rest - name_nat - pos_nat) / 2.0
        } else {
            (rest * name_nat / (name_nat + pos_nat))
                .max(name_min)
                .min(rest - pos_min)
        };
        widths[1] = name_w.max(8.0);
        widths[2] = (rest - name_w).max(8.0);
        let lines = rows
            .iter()
            .flat_map(|r| [1, 2].map(|c| wrap(reg, &r[c], size, widths[c] - 2.0 * pad).len()))
            .max()
            .unwrap_or(1);
        // Words cut between characters count as too many lines.
        let fits = rest >= name_min + pos_min;
        (widths, if fits { lines } else { usize::MAX })
    };
    // Prefer one line per cell down to 8 pt, then two lines down to 7.5 pt, then three.
    let sizes: Vec<f64> = (0..=10).map(|step| 9.0 - 0.25 * step as f64).collect();
    let tried: Vec<(f64, Vec<f64>, usize)> = sizes
        .iter()
        .map(|&size| {
            let (widths, lines) = fit_at(size);
            (size, widths, lines)
        })
        .collect();
    let best = [(1, 8.0), (2, 7.5), (3, 0.0)]
        .iter()
        .find_map(|&(max_lines, min_size)| {
            tried.iter().find(|t| t.2 <= max_lines && t.0 >= min_size)
        })
        .or_else(|| tried.iter().min_by_key(|t| t.2))
        .cloned();
    let (size, widths, _) = best.expect("at least one size tried");
    let xs: Vec<f64> = std::iter::once(LEFT)
        .chain(widths.iter().scan(LEFT, |x, w| {
            *x += w;
            Some(*x)
        }))
        .collect();
    let lh = line_height(size);
    let (reg_font, bold_font) = (&w.fonts.measure(false), &w.fonts.measure(true));
    let ascent = bold_font.ascent_mm(size);
    let descent = bold_font.descent_mm(size);
    let lines_in =
        |font: &BallotFont, text: &str, width: f64| wrap(font, text, size, width - 2.0 * pad);

    // Header: row 1 holds the fixed labels (over both rows) and the level names; row 2 the
    // sub-labels under each level.
    let group_lines: Vec<Vec<String>> = (0..levels.len())
        .map(|i| {
            let c = fixed.len() + 2 * i;
            lines_in(bold_font, &levels[i], widths[c] + widths[c + 1])
        })
        .collect();
    let fixed_lines: Vec<Vec<String>> = (0..fixed.len())
        .map(|c| lines_in(bold_font, fixed[c], widths[c]))
        .collect();
    let sub_lines: Vec<Vec<String>> = (fixed.len()..ncols)
        .map(|c| lines_in(bold_font, header_label(c), widths[c]))
        .collect();
    let block = |n: usize| n.max(1) as f64 * lh + 2.0 * pad;
    let h1 = group_lines
        .iter()
        .map(|l| block(l.len()))
        .fold(block(1), f64::max);
    let mut h2 = sub_lines
        .iter()
        .map(|l| block(l.len()))
        .fold(block(1), f64::max);
    let tall = fixed_lines
        .iter()
        .map(|l| block(l.len()))
        .fold(0.0, f64::max);
    if tall > h1 + h2 {
        h2 = tall - h1;
    }
    let grey = rgb(0.90, 0.90, 0.90);

    // Draws `lines` centred vertically in the cell `(x0, y0)-(x1, y0 + h)`.
    let cell_text = |w: &mut Writer,
                     lines: &[String],
                     x0: f64,
                     x1: f64,
                     y0: f64,
                     h: f64,
                     bold: bool,
                     align: Align| {
        let text_h = (lines.len() as f64 - 1.0) * lh + ascent + descent;
        let mut baseline = y0 + (h - text_h) / 2.0 + ascent;
        for l in lines {
            w.text_in((x0 + pad, x1 - pad), baseline, size, bold, align, l);
            baseline += lh;
        }
    };
    let draw_header = |w: &mut Writer| {
        let y0 = w.y;
        w.fill_rect(LEFT, y0, WIDTH, h1 + h2, grey.clone());
        for c in 0..fixed.len() {
            w.outline_rect(xs[c], y0, widths[c], h1 + h2, 0.6);
            cell_text(
                w,
                &fixed_lines[c],
                xs[c],
                xs[c + 1],
                y0,
                h1 + h2,
                true,
                Align::Center,
            );
        }
        for (i, lines) in group_lines.iter().enumerate() {
            let c = fixed.len() + 2 * i;
            w.outline_rect(xs[c], y0, widths[c] + widths[c + 1], h1, 0.6);
            cell_text(w, lines, xs[c], xs[c + 2], y0, h1, true, Align::Center);
        }
        for c in fixed.len()..ncols {
            w.outline_rect(xs[c], y0 + h1, widths[c], h2, 0.6);
            cell_text(
                w,
                &sub_lines[c - fixed.len()],
                xs[c],
                xs[c + 1],
                y0 + h1,
                h2,
                true,
                Align::Center,
            );
        }
        w.y = y0 + h1 + h2;
    };

    let row_lines: Vec<Vec<Vec<String>>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(c, text)| {
                    if c == 1 || c == 2 {
                        lines_in(reg_font, text, widths[c])
                    } else {
                        vec![text.clone()]
                    }
                })
                .collect()
        })
        .collect();
    let first_h = row_lines.first().map_or(0.0, |r| {
        r.iter().map(|l| block(l.len())).fold(0.0, f64::max)
    });
    w.need(h1 + h2 + first_h);
    draw_header(w);
    for cells in &row_lines {
        let h = cells.iter().map(|l| block(l.len())).fold(0.0, f64::max);
        if w.y + h > BOTTOM {
            w.break_page();
            draw_header(w);
        }
        let y0 = w.y;
        for (c, lines) in cells.iter().enumerate() {
            w.outline_rect(xs[c], y0, widths[c], h, 0.6);
            let align = if c == 1 || c == 2 {
                Align::Left
            } else {
                Align::Center
            };
            cell_text(w, lines, xs[c], xs[c + 1], y0, h, false, align);
        }
        w.y = y0 + h;
    }
}
