//! PNG plots of a report: the confusion-matrix heatmap and the training curves.
//!
//! Shapes and lines are drawn into an in-memory RGB buffer with plotters' bitmap
//! backend; the result is encoded with the `image` crate. Text is laid out and
//! rasterized here with `ab_glyph` and DejaVu Sans embedded in the binary (the `dejavu`
//! crate), so no system font is needed. (plotters 0.3.7's own `ab_glyph` text drops
//! each glyph's side bearing, which makes "cl" read as "d".)

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::metrics::{EpochRecord, Report};

// ---------------------------------------------------------------------------------
// Text

/// The embedded fonts, parsed once.
struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        // Fixed bytes shipped inside the `dejavu` crate: failure is a packaging bug.
        regular: FontRef::try_from_slice(dejavu::sans::regular()).expect("embedded DejaVu Sans parses"),
        bold: FontRef::try_from_slice(dejavu::sans::bold()).expect("embedded DejaVu Sans Bold parses"),
    })
}

/// A piece of text to draw once plotters has drawn the shapes.
struct Label {
    text: String,
    /// Anchor point on the canvas, in pixels.
    pos: (i32, i32),
    /// Font size in pixels per em.
    size: f32,
    color: RGBColor,
    bold: bool,
    /// Which point of the text's box sits at `pos`, as fractions of the box on the
    /// canvas: (0, 0) top-left, (0.5, 0.5) centre, (1, 1) bottom-right.
    anchor: (f32, f32),
    /// Rotated a quarter turn counter-clockwise (reads bottom to top).
    upward: bool,
}

impl Label {
    fn new(text: impl Into<String>, pos: (i32, i32), size: f32, anchor: (f32, f32)) -> Self {
        Label { text: text.into(), pos, size, color: BLACK, bold: false, anchor, upward: false }
    }
    fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    fn color(mut self, color: RGBColor) -> Self {
        self.color = color;
        self
    }
    fn upward(mut self) -> Self {
        self.upward = true;
        self
    }
}

/// Font and ab_glyph scale for `size` pixels per em.
fn scaled(size: f32, bold: bool) -> ab_glyph::PxScaleFont<&'static FontRef<'static>> {
    let f = if bold { &fonts().bold } else { &fonts().regular };
    // ab_glyph's scale is the ascent-to-descent height; convert from the em size.
    let em = f.units_per_em().unwrap_or(2048.0);
    f.as_scaled(PxScale::from(size * f.height_unscaled() / em))
}

/// Width and height in pixels of `text`'s box (advance width; ascent to descent).
fn text_box(text: &str, size: f32, bold: bool) -> (f32, f32) {
    let f = scaled(size, bold);
    let mut width = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            width += f.kern(p, id);
        }
        width += f.h_advance(id);
        prev = Some(id);
    }
    (width, f.ascent() - f.descent())
}

/// Draws `labels` over a packed RGB buffer of `w` x `h` pixels, with coverage blending.
fn draw_labels(rgb: &mut [u8], w: u32, h: u32, labels: &[Label]) {
    let (w, h) = (w as i32, h as i32);
    let mut blend = |x: i32, y: i32, color: RGBColor, coverage: f32| {
        if x < 0 || y < 0 || x >= w || y >= h {
            return;
        }
        let a = coverage.clamp(0.0, 1.0);
        let i = ((y * w + x) * 3) as usize;
        for (k, c) in [color.0, color.1, color.2].into_iter().enumerate() {
            let bg = rgb[i + k] as f32;
            rgb[i + k] = (bg + (c as f32 - bg) * a).round() as u8;
        }
    };
    for l in labels {
        let f = scaled(l.size, l.bold);
        let (bw, bh) = text_box(&l.text, l.size, l.bold);
        let (cw, ch) = if l.upward { (bh, bw) } else { (bw, bh) };
        let left = (l.pos.0 as f32 - l.anchor.0 * cw).round() as i32;
        let top = (l.pos.1 as f32 - l.anchor.1 * ch).round() as i32;
        let text_len = bw.round() as i32;
        let mut pen = 0.0;
        let mut prev = None;
        for c in l.text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = prev {
                pen += f.kern(p, id);
            }
            prev = Some(id);
            // Lay the glyph out in the text's own frame: x along the text, y down,
            // origin at the box's top-left, baseline at the ascent.
            let glyph = id.with_scale_and_position(f.scale(), point(pen, f.ascent()));
            pen += f.h_advance(id);
            let Some(outline) = f.outline_glyph(glyph) else { continue };
            let b = outline.px_bounds();
            let (bx, by) = (b.min.x as i32, b.min.y as i32);
            outline.draw(|gx, gy, coverage| {
                let (lx, ly) = (bx + gx as i32, by + gy as i32);
                let (x, y) = if l.upward { (left + ly, top + text_len - 1 - lx) } else { (left + lx, top + ly) };
                blend(x, y, l.color, coverage);
            });
        }
    }
}

// ---------------------------------------------------------------------------------
// Helpers

/// Encodes a packed RGB buffer as PNG.
fn encode_png(rgb: Vec<u8>, w: u32, h: u32) -> Result<Vec<u8>> {
    let img = image::RgbImage::from_raw(w, h, rgb).ok_or_else(|| anyhow!("RGB buffer does not match {w}x{h}"))?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).context("encoding PNG")?;
    Ok(out.into_inner())
}

/// Matplotlib's "Blues" colour map at `t` in 0..1 (white to dark blue).
fn blues(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (247, 251, 255),
        (222, 235, 247),
        (198, 219, 239),
        (158, 202, 225),
        (107, 174, 214),
        (66, 146, 198),
        (33, 113, 181),
        (8, 81, 156),
        (8, 48, 107),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// Round tick values (steps of 1, 2 or 5 times a power of ten) covering `lo..=hi` with
/// about `target` ticks, and the decimals needed to print them.
fn nice_ticks(lo: f64, hi: f64, target: usize, min_step: f64) -> (Vec<f64>, usize) {
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 || span.is_infinite() {
        return (vec![lo], 2);
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let step = (if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    } * mag)
        .max(min_step);
    let (first, last) = ((lo / step - 1e-9).ceil() as i64, (hi / step + 1e-9).floor() as i64);
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()).max(0.0) as usize };
    (ticks, decimals)
}

const GREY: RGBColor = RGBColor(90, 90, 90);

// ---------------------------------------------------------------------------------
// Confusion matrix

/// Renders the confusion matrix as a PNG heatmap.
///
/// Rows are true classes, columns predicted classes. A cell's colour is its share of
/// its row (so rare and common classes compare), its text the raw count (drawn when
/// there are at most 32 classes; zero counts only up to 12 classes). The title gives
/// the split, model and accuracy.
pub fn confusion_png(report: &Report) -> Result<Vec<u8>> {
    let n = report.classes.len();
    let cm = &report.confusion_matrix;
    if n == 0 || cm.len() != n || cm.iter().any(|row| row.len() != n) {
        return Err(anyhow!("confusion matrix is not {n}x{n} for {n} classes"));
    }

    // Geometry, in pixels.
    let cell: i32 = match n {
        0..=5 => 80,
        6..=10 => 60,
        11..=20 => 44,
        _ => 34,
    };
    let label_size = (cell as f32 * 0.36).clamp(12.0, 15.0);
    let (axis_size, title_size) = (16.0, 18.0);
    let label_w = |s: &str| text_box(s, label_size, false).0.ceil() as i32;
    let max_label_w = report.classes.iter().map(|l| label_w(l)).max().unwrap_or(0);
    let label_h = text_box("0", label_size, false).1.ceil() as i32;
    // Column labels stay horizontal when every label fits in its column.
    let rotate_cols = max_label_w > cell - 6;
    let col_labels_h = if rotate_cols { max_label_w + 10 } else { label_h + 10 };

    let title = {
        let mut parts = vec!["Confusion matrix".to_string()];
        parts.extend(report.split.iter().cloned());
        parts.extend(report.model.iter().cloned());
        format!("{}: accuracy {:.2}% of {}", parts.join(", "), report.accuracy * 100.0, report.samples)
    };
    let (title_w, title_h) = text_box(&title, title_size, true);
    let (title_w, title_h) = (title_w.ceil() as i32, title_h.ceil() as i32);

    let margin = 20;
    let axis_title_w = text_box("Ag", axis_size, false).1.ceil() as i32 + 6;
    let grid_x = margin + axis_title_w + max_label_w + 10;
    let grid_y = margin + title_h + 16;
    let grid = cell * n as i32;
    let bar_x = grid_x + grid + 24;
    let bar_w = 18;
    let bar_labels_w = label_w("100%").max(label_w("share of row") - bar_w / 2 - 6) + 10;
    let width = (bar_x + bar_w + bar_labels_w + margin).max(title_w + 2 * margin);
    let height = grid_y + grid + col_labels_h + axis_title_w + 10 + margin;
    let (w, h) = (width as u32, height as u32);

    let mut labels = vec![
        Label::new(title, (width / 2, margin), title_size, (0.5, 0.0)).bold(),
        Label::new("Predicted label", (grid_x + grid / 2, grid_y + grid + col_labels_h + 8), axis_size, (0.5, 0.0)),
        Label::new("True label", (margin, grid_y + grid / 2), axis_size, (0.0, 0.5)).upward(),
    ];

    let max_count = cm.iter().flatten().copied().max().unwrap_or(0);
    // Largest size (up to 40% of the cell) at which the widest count fits its cell.
    let count_size = {
        let widest = max_count.to_string();
        let mut size = (cell as f32 * 0.4).min(18.0);
        while size > 7.0 && text_box(&widest, size, false).0 > (cell - 6) as f32 {
            size -= 0.5;
        }
        size
    };

    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;

        for (t, row) in cm.iter().enumerate() {
            let row_total: u64 = row.iter().sum();
            for (p, &count) in row.iter().enumerate() {
                let share = if row_total == 0 { 0.0 } else { count as f64 / row_total as f64 };
                let x0 = grid_x + p as i32 * cell;
                let y0 = grid_y + t as i32 * cell;
                root.draw(&Rectangle::new([(x0, y0), (x0 + cell, y0 + cell)], blues(share).filled()))?;
                if n <= 32 && (count > 0 || n <= 12) {
                    let color = match (count, share > 0.5) {
                        (0, _) => RGBColor(185, 185, 185),
                        (_, true) => WHITE,
                        _ => BLACK,
                    };
                    labels.push(
                        Label::new(count.to_string(), (x0 + cell / 2, y0 + cell / 2), count_size, (0.5, 0.5))
                            .color(color),
                    );
                }
            }
        }
        root.draw(&Rectangle::new([(grid_x, grid_y), (grid_x + grid, grid_y + grid)], BLACK.stroke_width(1)))?;

        // Class names: rows right-aligned against the grid, columns below it (rotated to
        // read upwards when one does not fit its column).
        for (i, name) in report.classes.iter().enumerate() {
            let mid = i as i32 * cell + cell / 2;
            labels.push(Label::new(name.clone(), (grid_x - 8, grid_y + mid), label_size, (1.0, 0.5)));
            let below = (grid_x + mid, grid_y + grid + 6);
            labels.push(if rotate_cols {
                Label::new(name.clone(), below, label_size, (0.5, 0.0)).upward()
            } else {
                Label::new(name.clone(), below, label_size, (0.5, 0.0))
            });
        }

        // Colour bar: share of the row.
        for y in 0..grid {
            let t = 1.0 - y as f64 / (grid - 1).max(1) as f64;
            root.draw(&Rectangle::new([(bar_x, grid_y + y), (bar_x + bar_w, grid_y + y + 1)], blues(t).filled()))?;
        }
        root.draw(&Rectangle::new([(bar_x, grid_y), (bar_x + bar_w, grid_y + grid)], BLACK.stroke_width(1)))?;
        for (frac, text) in [(1.0, "100%"), (0.75, "75%"), (0.5, "50%"), (0.25, "25%"), (0.0, "0%")] {
            let y = grid_y + ((1.0 - frac) * (grid - 1) as f64).round() as i32;
            root.draw(&PathElement::new(vec![(bar_x + bar_w, y), (bar_x + bar_w + 4, y)], BLACK))?;
            labels.push(Label::new(text, (bar_x + bar_w + 7, y), label_size, (0.0, 0.5)));
        }
        labels.push(
            Label::new("share of row", (bar_x + bar_w / 2, grid_y + grid + 8), label_size * 0.9, (0.5, 0.0))
                .color(GREY),
        );
        root.present()?;
    }
    draw_labels(&mut buf, w, h, &labels);
    encode_png(buf, w, h)
}

// ---------------------------------------------------------------------------------
// Training curves

/// Renders the training curves as a PNG with two panels: loss (train and validation)
/// and accuracy (train and validation) against the epoch, with legends and axis
/// labels. Non-finite values are left out. Errors on an empty history.
pub fn curves_png(history: &[EpochRecord]) -> Result<Vec<u8>> {
    if history.is_empty() {
        return Err(anyhow!("no epochs to plot"));
    }
    let (w, h) = (1400u32, 560u32);
    let best = history
        .iter()
        .filter(|r| r.val_accuracy.is_finite())
        .max_by(|a, b| a.val_accuracy.total_cmp(&b.val_accuracy).then(b.epoch.cmp(&a.epoch)));
    let val_acc_name = match best {
        Some(b) => format!("validation (best {:.2}% at epoch {})", b.val_accuracy * 100.0, b.epoch),
        None => "validation".to_string(),
    };
    let loss = Panel {
        caption: "Loss",
        y_desc: "loss",
        series: [
            ("train".to_string(), history.iter().map(|r| (r.epoch as f64, r.train_loss)).collect()),
            ("validation".to_string(), history.iter().map(|r| (r.epoch as f64, r.val_loss)).collect()),
        ],
        percent: false,
    };
    let accuracy = Panel {
        caption: "Accuracy",
        y_desc: "accuracy (%)",
        series: [
            ("train".to_string(), history.iter().map(|r| (r.epoch as f64, r.train_accuracy * 100.0)).collect()),
            (val_acc_name, history.iter().map(|r| (r.epoch as f64, r.val_accuracy * 100.0)).collect()),
        ],
        percent: true,
    };

    let mut labels = Vec::new();
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let half = w as i32 / 2;
        loss.draw(&root, (0, half), h as i32, &mut labels)?;
        accuracy.draw(&root, (half, half), h as i32, &mut labels)?;
        root.present()?;
    }
    draw_labels(&mut buf, w, h, &labels);
    encode_png(buf, w, h)
}

/// One panel of [`curves_png`]: two series (train, validation) against the epoch.
struct Panel {
    caption: &'static str,
    y_desc: &'static str,
    series: [(String, Vec<(f64, f64)>); 2],
    /// Values are percentages: the axis runs up to 100.
    percent: bool,
}

impl Panel {
    /// Draws the panel into the columns `x..x + width` of `root`, pushing its text.
    fn draw(
        &self,
        root: &DrawingArea<BitMapBackend<'_>, Shift>,
        (x, width): (i32, i32),
        height: i32,
        labels: &mut Vec<Label>,
    ) -> Result<()> {
        let colors = [RGBColor(31, 119, 180), RGBColor(255, 127, 14)];
        let points: Vec<Vec<(f64, f64)>> =
            self.series.iter().map(|(_, s)| s.iter().copied().filter(|(_, v)| v.is_finite()).collect()).collect();

        // Data ranges.
        let epochs = self.series.iter().flat_map(|(_, s)| s.iter().map(|p| p.0));
        let (e0, e1) = epochs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), e| (a.min(e), b.max(e)));
        let (e0, e1) = if e1 > e0 { (e0, e1) } else { (e0 - 1.0, e0 + 1.0) };
        let pad = (e1 - e0) * 0.02;
        let (x0, x1) = (e0 - pad, e1 + pad);
        let values = points.iter().flatten().map(|p| p.1);
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (y0, y1, tick_top) = if !lo.is_finite() {
            if self.percent { (0.0, 101.0, 100.0) } else { (0.0, 1.0, 1.0) }
        } else if self.percent {
            // From a round ten below the lowest value up to 100%.
            let bottom = ((lo - 2.0) / 10.0).floor().clamp(0.0, 9.0) * 10.0;
            (bottom, 101.0, 100.0)
        } else {
            let bottom = if lo >= 0.0 { 0.0 } else { lo * 1.05 };
            let top = if hi > bottom { hi * 1.05 } else { bottom + 1.0 };
            (bottom, top, top)
        };
        let (x_ticks, _) = nice_ticks(e0, e1, 10, 1.0);
        let (y_ticks, y_decimals) = nice_ticks(y0, tick_top, 8, 0.0);

        // Plot rectangle, in pixels.
        let (left, right, top, bottom) = (x + 90, x + width - 25, 50, height - 70);
        let area = root.clone().shrink((left, top), ((right - left) as u32, (bottom - top) as u32));
        let mut chart = ChartBuilder::on(&area).build_cartesian_2d(x0..x1, y0..y1)?;
        let px = |chart: &ChartContext<'_, _, Cartesian2d<_, _>>, p: (f64, f64)| chart.backend_coord(&p);

        // Grid, ticks and tick labels.
        let grid_color = RGBColor(225, 225, 225);
        for &t in &y_ticks {
            chart.plotting_area().draw(&PathElement::new(vec![(x0, t), (x1, t)], grid_color))?;
            let (_, py) = px(&chart, (x0, t));
            root.draw(&PathElement::new(vec![(left - 5, py), (left, py)], BLACK))?;
            labels.push(Label::new(format!("{t:.y_decimals$}"), (left - 8, py), 13.0, (1.0, 0.5)));
        }
        for &t in &x_ticks {
            chart.plotting_area().draw(&PathElement::new(vec![(t, y0), (t, y1)], grid_color))?;
            let (tx, _) = px(&chart, (t, y0));
            root.draw(&PathElement::new(vec![(tx, bottom), (tx, bottom + 5)], BLACK))?;
            labels.push(Label::new(format!("{t:.0}"), (tx, bottom + 8), 13.0, (0.5, 0.0)));
        }
        root.draw(&Rectangle::new([(left, top), (right, bottom)], BLACK.stroke_width(1)))?;

        // Series.
        for (pts, color) in points.iter().zip(colors) {
            chart.draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))?;
            if pts.len() <= 60 {
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
            }
        }

        // Caption and axis descriptions.
        let mid_x = (left + right) / 2;
        labels.push(Label::new(self.caption, (mid_x, top - 12), 18.0, (0.5, 1.0)).bold());
        labels.push(Label::new("epoch", (mid_x, bottom + 32), 15.0, (0.5, 0.0)));
        labels.push(Label::new(self.y_desc, (x + 18, (top + bottom) / 2), 15.0, (0.0, 0.5)).upward());

        // Legend: in the corner that hides the least of the curves, preferring top right
        // for loss (falls) and bottom right for accuracy (rises).
        let text_w = self.series.iter().map(|(name, _)| text_box(name, 14.0, false).0.ceil() as i32).max().unwrap_or(0);
        let (row_h, box_w) = (22, 46 + text_w);
        let box_h = row_h * 2 + 10;
        let (east, west) = (right - 12 - box_w, left + 12);
        let (north, south) = (top + 12, bottom - 12 - box_h);
        let corners = if self.percent {
            [(east, south), (east, north), (west, south), (west, north)]
        } else {
            [(east, north), (east, south), (west, north), (west, south)]
        };
        // Points along the curves, in pixels.
        let mut trace = Vec::new();
        for pts in &points {
            for (i, &p) in pts.iter().enumerate() {
                trace.push(px(&chart, p));
                if let Some(&q) = pts.get(i + 1) {
                    for k in 1..16 {
                        let t = k as f64 / 16.0;
                        trace.push(px(&chart, (p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t)));
                    }
                }
            }
        }
        let hidden = |&(bx, by): &(i32, i32)| {
            trace
                .iter()
                .filter(|&&(x, y)| x >= bx - 4 && x <= bx + box_w + 4 && y >= by - 4 && y <= by + box_h + 4)
                .count()
        };
        // `min_by_key` keeps the first of equal corners: the preferred one.
        let (bx, by) = corners.iter().copied().min_by_key(hidden).unwrap_or(corners[0]);
        root.draw(&Rectangle::new([(bx, by), (bx + box_w, by + box_h)], WHITE.filled()))?;
        root.draw(&Rectangle::new([(bx, by), (bx + box_w, by + box_h)], RGBColor(160, 160, 160)))?;
        for (i, ((name, _), color)) in self.series.iter().zip(colors).enumerate() {
            let y = by + 5 + row_h * i as i32 + row_h / 2;
            root.draw(&PathElement::new(vec![(bx + 8, y), (bx + 34, y)], color.stroke_width(2)))?;
            root.draw(&Circle::new((bx + 21, y), 3, color.filled()))?;
            labels.push(Label::new(name.clone(), (bx + 40, y), 14.0, (0.0, 0.5)));
        }
        Ok(())
    }
}
