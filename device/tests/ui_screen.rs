//! The kiosk screen drawn into a `FrameBuffer` at the panel sizes (240x240, 320x240):
//! what lands where, checked pixel by pixel; widget patterns on `MockDisplay`;
//! the PNG panel's files read back.

use device::display::png::{PngPanel, save_png};
use device::display::{FrameBuffer, Panel};
use device::ui::layout::{fit_preview, map_roi};
use device::ui::scaled::Scaled;
use device::ui::{self, Layout, Preview, View, letter, text, theme, widgets};
use embedded_graphics::mock_display::MockDisplay;
use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use shared::Roi;

const GREY: [u8; 3] = [96, 128, 160];

fn grey_picture(width: u32, height: u32) -> Vec<u8> {
    GREY.repeat((width * height) as usize)
}

fn grey565() -> Rgb565 {
    Rgb565::new(GREY[0] >> 3, GREY[1] >> 2, GREY[2] >> 3)
}

fn screen(width: u32, height: u32, view: &View<'_>) -> FrameBuffer {
    let mut fb = FrameBuffer::new(width, height);
    ui::draw(&mut fb, view).unwrap();
    fb
}

fn pixels_in(fb: &FrameBuffer, area: Rectangle) -> impl Iterator<Item = Rgb565> + '_ {
    area.points().filter_map(|p| fb.pixel(p.x as u32, p.y as u32))
}

fn count(fb: &FrameBuffer, area: Rectangle, color: Rgb565) -> usize {
    pixels_in(fb, area).filter(|&c| c == color).count()
}

/// The rows of `area` holding at least one `color` pixel: (first, last).
fn rows_with(fb: &FrameBuffer, area: Rectangle, color: Rgb565) -> Option<(i32, i32)> {
    let rows: Vec<i32> =
        area.points().filter(|p| fb.pixel(p.x as u32, p.y as u32) == Some(color)).map(|p| p.y).collect();
    Some((*rows.iter().min()?, *rows.iter().max()?))
}

fn at(fb: &FrameBuffer, x: u32, y: u32) -> Rgb565 {
    fb.pixel(x, y).unwrap()
}

#[test]
fn layouts_for_both_panels_fit_the_screen_without_overlap() {
    for (w, h) in [(240, 240), (320, 240), (480, 320), (135, 240), (128, 128), (1, 1)] {
        let l = Layout::for_size(w, h);
        assert_eq!(l.screen, Size::new(w, h));
        let screen = Rectangle::new(Point::zero(), Size::new(w, h));
        let areas = [l.preview, l.letter, l.confidence, l.fps, l.text, l.status];
        for a in areas {
            assert_eq!(screen.intersection(&a), a, "{a:?} leaves the {w}x{h} screen");
        }
        if w >= 128 {
            for (i, a) in areas.iter().enumerate() {
                for b in &areas[i + 1..] {
                    assert!(a.intersection(b).is_zero_sized(), "{a:?} overlaps {b:?} at {w}x{h}");
                }
            }
        }
    }
    assert_eq!(Layout::for_size(240, 240).preview, Rectangle::new(Point::zero(), Size::new(160, 120)));
    assert_eq!(Layout::for_size(320, 240).preview, Rectangle::new(Point::zero(), Size::new(192, 144)));
}

#[test]
fn preview_keeps_its_aspect_ratio_and_is_centred() {
    let area = Rectangle::new(Point::zero(), Size::new(160, 120));
    assert_eq!(fit_preview(area, 640, 480), Some(area));
    assert_eq!(fit_preview(area, 320, 180), Some(Rectangle::new(Point::new(0, 15), Size::new(160, 90))));
    assert_eq!(fit_preview(area, 100, 200), Some(Rectangle::new(Point::new(50, 0), Size::new(60, 120))));
    assert_eq!(fit_preview(area, 0, 480), None);

    let rgb = grey_picture(320, 180);
    let view = View { preview: Some(Preview { rgb: &rgb, width: 320, height: 180 }), ..View::default() };
    let fb = screen(240, 240, &view);
    assert_eq!(at(&fb, 80, 5), theme::BACKGROUND, "letterbox above a 16:9 picture");
    assert_eq!(at(&fb, 80, 20), grey565());
    assert_eq!(at(&fb, 80, 110), theme::BACKGROUND, "letterbox below");
}

#[test]
fn preview_is_a_nearest_neighbour_downscale() {
    // Left half red, right half blue, 640x480 into 160x120: the split lands at x = 80.
    let mut rgb = Vec::with_capacity(640 * 480 * 3);
    for _y in 0..480 {
        for x in 0..640 {
            rgb.extend_from_slice(if x < 320 { &[255, 0, 0] } else { &[0, 0, 255] });
        }
    }
    let view = View { preview: Some(Preview { rgb: &rgb, width: 640, height: 480 }), ..View::default() };
    let fb = screen(240, 240, &view);
    assert_eq!(at(&fb, 79, 60), Rgb565::RED);
    assert_eq!(at(&fb, 80, 60), Rgb565::BLUE);
    assert_eq!(at(&fb, 0, 0), Rgb565::RED);
    assert_eq!(at(&fb, 159, 119), Rgb565::BLUE);
}

#[test]
fn guide_box_outline_lands_at_the_mapped_place() {
    let rgb = grey_picture(640, 480);
    let guide = Roi::new(160, 120, 320, 240);
    // (screen size, expected box on screen)
    for ((w, h), expected) in [
        ((240, 240), Rectangle::new(Point::new(40, 30), Size::new(80, 60))),
        ((320, 240), Rectangle::new(Point::new(48, 36), Size::new(96, 72))),
    ] {
        let layout = Layout::for_size(w, h);
        let shown = fit_preview(layout.preview, 640, 480).unwrap();
        assert_eq!(map_roi(guide, 640, 480, shown), expected);
        let view = View {
            preview: Some(Preview { rgb: &rgb, width: 640, height: 480 }),
            guide: Some(guide),
            ..View::default()
        };
        let fb = screen(w, h, &view);
        let (x0, y0) = (expected.top_left.x as u32, expected.top_left.y as u32);
        let (x1, y1) = (x0 + expected.size.width - 1, y0 + expected.size.height - 1);
        let (cx, cy) = (x0 + expected.size.width / 2, y0 + expected.size.height / 2);
        for (x, y) in [(x0, y0), (x0 + 1, y0 + 1), (x1, y1), (x1 - 1, y1 - 1), (cx, y0), (x0, cy), (x1, cy), (cx, y1)] {
            assert_eq!(at(&fb, x, y), theme::GUIDE, "outline at ({x},{y}) on {w}x{h}");
        }
        for (x, y) in [(x0 - 1, y0 - 1), (x0 + 2, y0 + 2), (cx, cy), (x1 + 1, cy)] {
            assert_eq!(at(&fb, x, y), grey565(), "picture at ({x},{y}) on {w}x{h}");
        }
        // The outline is closed: 2 px all around.
        let perimeter = 2 * (expected.size.width + expected.size.height) * 2 - 16;
        assert_eq!(count(&fb, layout.preview, theme::GUIDE) as u32, perimeter);
    }
}

#[test]
fn guide_box_partly_outside_the_picture_is_cut_at_its_edge() {
    let rgb = grey_picture(640, 480);
    let view = View {
        preview: Some(Preview { rgb: &rgb, width: 640, height: 480 }),
        guide: Some(Roi::new(600, 400, 200, 200)),
        ..View::default()
    };
    let fb = screen(240, 240, &view);
    assert_eq!(at(&fb, 150, 100), theme::GUIDE);
    assert_eq!(at(&fb, 159, 119), theme::GUIDE);
    assert_eq!(at(&fb, 161, 100), theme::BACKGROUND, "nothing outside the picture");
}

#[test]
fn confidence_bar_fills_in_proportion() {
    let layout = Layout::for_size(240, 240);
    let inner = layout.confidence.offset(-1);
    let middle_row = Rectangle::new(Point::new(inner.top_left.x, inner.center().y), Size::new(inner.size.width, 1));
    for (confidence, color) in
        [(0.5, theme::BAR_MID), (0.9, theme::BAR_HIGH), (0.2, theme::BAR_LOW), (1.0, theme::BAR_HIGH)]
    {
        let view = View { letter: Some("B"), confidence, ..View::default() };
        let fb = screen(240, 240, &view);
        let filled = count(&fb, middle_row, color) as u32;
        let expected = (inner.size.width as f32 * confidence).round() as u32;
        assert_eq!(filled, expected, "confidence {confidence}");
        assert_eq!(count(&fb, middle_row, theme::BAR_EMPTY) as u32, inner.size.width - expected);
        // Filled from the left.
        assert_eq!(at(&fb, inner.top_left.x as u32, inner.center().y as u32), color);
    }
    // 0.5 of the 70 px inside is 35 px.
    assert_eq!(widgets::confidence_fill_width(70, 0.5), 35);
    assert_eq!(widgets::confidence_fill_width(70, f32::NAN), 0);
    assert_eq!(widgets::confidence_fill_width(70, 7.0), 70);
    assert_eq!(widgets::confidence_fill_width(70, -1.0), 0);
    // No letter: the bar stays empty whatever the confidence says.
    let fb = screen(240, 240, &View { letter: None, confidence: 0.9, ..View::default() });
    assert_eq!(count(&fb, inner, theme::BAR_HIGH), 0);
    assert_eq!(count(&fb, layout.confidence, theme::BAR_OUTLINE) as u32, 2 * (72 + 14) - 4);
}

#[test]
fn confidence_bar_pattern() {
    let area = Rectangle::new(Point::new(0, 0), Size::new(6, 3));
    for (confidence, pattern) in [
        (0.5, ["WWWWWW", "WYYKKW", "WWWWWW"]),
        (1.0, ["WWWWWW", "WGGGGW", "WWWWWW"]),
        (0.3, ["WWWWWW", "WRKKKW", "WWWWWW"]),
        (0.0, ["WWWWWW", "WKKKKW", "WWWWWW"]),
        (f32::NAN, ["WWWWWW", "WKKKKW", "WWWWWW"]),
    ] {
        let mut display = MockDisplay::<Rgb565>::new();
        widgets::draw_confidence_bar(&mut display, area, confidence).unwrap();
        display.assert_pattern(&pattern);
    }
    // Too small to hold a bar: draws nothing.
    let mut display = MockDisplay::<Rgb565>::new();
    widgets::draw_confidence_bar(&mut display, Rectangle::new(Point::zero(), Size::new(2, 9)), 1.0).unwrap();
    display.assert_pattern(&[]);
}

#[test]
fn guide_box_pattern() {
    let mut display = MockDisplay::<Rgb565>::new();
    widgets::draw_guide_box(&mut display, Rectangle::new(Point::new(1, 1), Size::new(6, 5))).unwrap();
    display.assert_pattern(&[
        "       ", //
        " YYYYYY", " YYYYYY", " YY  YY", " YYYYYY", " YYYYYY",
    ]);
}

#[test]
fn scaled_adapter_blows_pixels_up() {
    let mut display = MockDisplay::<Rgb565>::new();
    let mut scaled = Scaled::new(&mut display, Point::new(1, 0), 2);
    Rectangle::new(Point::zero(), Size::new(2, 1))
        .into_styled(PrimitiveStyle::with_fill(Rgb565::RED))
        .draw(&mut scaled)
        .unwrap();
    Pixel(Point::new(0, 1), Rgb565::BLUE).draw(&mut scaled).unwrap();
    display.assert_pattern(&[
        " RRRR", //
        " RRRR", " BB  ", " BB  ",
    ]);
}

#[test]
fn large_letter_is_drawn_and_absent_without_letter() {
    for (w, h) in [(240, 240), (320, 240)] {
        let layout = Layout::for_size(w, h);
        let fb = screen(w, h, &View { letter: Some("A"), confidence: 0.9, ..View::default() });
        let ink = count(&fb, layout.letter, theme::FOREGROUND);
        assert!(ink > 300, "letter A has {ink} pixels on {w}x{h}");
        let (top, bottom) = rows_with(&fb, layout.letter, theme::FOREGROUND).unwrap();
        assert!(bottom - top + 1 >= 40, "letter A is {} px tall on {w}x{h}", bottom - top + 1);

        for letter in [None, Some("nothing"), Some("  ")] {
            let fb = screen(w, h, &View { letter, confidence: 0.9, ..View::default() });
            let drawn = pixels_in(&fb, layout.letter).filter(|&c| c != theme::BACKGROUND).count();
            assert_eq!(drawn, 0, "{letter:?} draws nothing on {w}x{h}");
        }
    }
}

#[test]
fn while_teaching_the_letter_asked_for_is_drawn_in_the_prompt_colour_instead_of_the_reading() {
    for (w, h) in [(240, 240), (320, 240)] {
        let layout = Layout::for_size(w, h);
        // The model reads A; the screen asks for B.
        let asked = screen(w, h, &View { letter: Some("A"), confidence: 0.9, asked: Some("B"), ..View::default() });
        let read = screen(w, h, &View { letter: Some("B"), confidence: 0.9, ..View::default() });
        let inked = |fb: &FrameBuffer, color| layout.letter.points().filter(|p| fb.pixel(p.x as u32, p.y as u32) == Some(color)).collect::<Vec<_>>();
        let prompt = inked(&asked, theme::PROMPT);
        assert!(prompt.len() > 300, "B asked for has {} prompt pixels on {w}x{h}", prompt.len());
        assert_eq!(prompt, inked(&read, theme::FOREGROUND), "the asked B is the read B's glyph in another colour on {w}x{h}");
        assert_eq!(count(&asked, layout.letter, theme::FOREGROUND), 0, "the reading is not drawn while a letter is asked for");
        // The bar still shows how steadily the hand is read.
        assert_eq!(count(&asked, layout.confidence, theme::BAR_HIGH), count(&read, layout.confidence, theme::BAR_HIGH));
    }
}

#[test]
fn labels_show_as_words() {
    assert_eq!(letter::shape("space"), letter::LetterShape::Word("SPACE"));
    assert_eq!(letter::shape("del"), letter::LetterShape::Word("DEL"));
    assert_eq!(letter::shape("nothing"), letter::LetterShape::Blank);
    assert_eq!(letter::shape("A"), letter::LetterShape::Glyph('A'));
    assert_eq!(letter::shape("ب"), letter::LetterShape::Glyph('ب'));
    assert_eq!(letter::shape("alef"), letter::LetterShape::Word("alef"));

    let layout = Layout::for_size(240, 240);
    let a = screen(240, 240, &View { letter: Some("A"), ..View::default() });
    let space = screen(240, 240, &View { letter: Some("space"), ..View::default() });
    let space_ink = count(&space, layout.letter, theme::FOREGROUND);
    assert!(space_ink > 50, "SPACE is drawn ({space_ink} px)");
    let (top, bottom) = rows_with(&space, layout.letter, theme::FOREGROUND).unwrap();
    assert!(bottom - top < 40, "a word is smaller than a letter");
    assert_ne!(a, space);
}

#[test]
fn arabic_letter_is_drawn_large() {
    let layout = Layout::for_size(240, 240);
    let fb = screen(240, 240, &View { letter: Some("ب"), letter_name: Some("ba"), confidence: 0.7, ..View::default() });
    let ink = count(&fb, layout.letter, theme::FOREGROUND);
    assert!(ink > 50, "ب has {ink} pixels");
    let (top, bottom) = rows_with(&fb, layout.letter, theme::FOREGROUND).unwrap();
    assert!(bottom - top + 1 >= 16, "ب is scaled up ({} px tall)", bottom - top + 1);
    // The name is not what is drawn when the glyph exists.
    let name = screen(240, 240, &View { letter: Some("ba"), ..View::default() });
    assert_ne!(fb, name);
}

#[test]
fn letter_without_a_glyph_falls_back_to_its_name() {
    let layout = Layout::for_size(240, 240);
    let with_name = screen(240, 240, &View { letter: Some("木"), letter_name: Some("ki"), ..View::default() });
    let name_drawn = screen(240, 240, &View { letter: Some("ki"), ..View::default() });
    assert!(count(&with_name, layout.letter, theme::FOREGROUND) > 20);
    assert_eq!(with_name, name_drawn, "the name is drawn as the word would be");
    let unnamed = screen(240, 240, &View { letter: Some("木"), ..View::default() });
    let question = screen(240, 240, &View { letter: Some("?"), ..View::default() });
    assert!(count(&unnamed, layout.letter, theme::FOREGROUND) > 20);
    assert_eq!(count(&unnamed, layout.letter, theme::FOREGROUND), count(&question, layout.letter, theme::FOREGROUND));
}

#[test]
fn wrap_breaks_at_spaces_then_inside_words() {
    let one = |_: char| 1;
    assert_eq!(text::wrap("hello world foo", 11, one), ["hello world", "foo"]);
    assert_eq!(text::wrap("hello world", 8, one), ["hello", "world"]);
    assert_eq!(text::wrap("abcdefghij", 4, one), ["abcd", "efgh", "ij"]);
    assert_eq!(text::wrap("", 4, one), [""]);
    assert_eq!(text::wrap("ab\ncd", 10, one), ["ab", "cd"]);
    assert_eq!(text::wrap("abcd efgh", 4, one), ["abcd", "efgh"]);
    // Too narrow for even one character: one character per line, never stuck.
    assert_eq!(text::wrap("abc", 0, one), ["a", "b", "c"]);
}

#[test]
fn long_text_scrolls_to_show_its_end() {
    let long = "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG AND KEEPS ON RUNNING FAR AWAY INTO THE NIGHT END";
    for (w, h) in [(240, 240), (320, 240)] {
        let layout = Layout::for_size(w, h);
        let visible = text::visible_lines(long, &layout);
        assert_eq!(visible.len() as u32, layout.text_lines, "the text area is full on {w}x{h}");
        assert!(visible.last().unwrap().ends_with("NIGHT END"), "{visible:?}");
        assert!(!visible.concat().contains("QUICK"), "the start scrolled away: {visible:?}");

        // Drawing the long text draws exactly its visible tail.
        let full = screen(w, h, &View { text: long, ..View::default() });
        let tail = visible.join("\n");
        let only_tail = screen(w, h, &View { text: &tail, ..View::default() });
        assert_eq!(full, only_tail);
        // The last line's slot has ink.
        let lh = layout.text_line_height();
        let last_slot = Rectangle::new(
            layout.text.top_left + Point::new(0, ((layout.text_lines - 1) * lh) as i32),
            Size::new(layout.text.size.width, lh),
        );
        assert!(count(&full, last_slot, theme::FOREGROUND) > 50);
    }
}

#[test]
fn a_very_long_session_still_shows_its_end() {
    let mut long = "HELLO WORLD ".repeat(1000);
    long.push_str("LAST WORDS");
    let layout = Layout::for_size(240, 240);
    let visible = text::visible_lines(&long, &layout);
    assert_eq!(visible.len(), 3);
    assert!(visible[2].ends_with("LAST WORDS"), "{visible:?}");
    // One long word, no spaces: still its end.
    let word = format!("{}XYZ", "A".repeat(5000));
    assert!(text::visible_lines(&word, &layout).last().unwrap().ends_with("AXYZ"));
}

#[test]
fn short_text_starts_at_the_top() {
    let layout = Layout::for_size(240, 240);
    let fb = screen(240, 240, &View { text: "HI", ..View::default() });
    let lh = layout.text_line_height();
    let first_slot = Rectangle::new(layout.text.top_left, Size::new(layout.text.size.width, lh));
    assert!(count(&fb, first_slot, theme::FOREGROUND) > 20);
    assert_eq!(count(&fb, layout.text, theme::FOREGROUND), count(&fb, first_slot, theme::FOREGROUND));
}

#[test]
fn arabic_text_is_drawn_right_aligned() {
    let layout = Layout::for_size(240, 240);
    let fb = screen(240, 240, &View { text: "بتث", ..View::default() });
    let right_half = Rectangle::new(
        layout.text.top_left + Point::new(layout.text.size.width as i32 / 2, 0),
        Size::new(layout.text.size.width / 2, layout.text.size.height),
    );
    let ink = count(&fb, layout.text, theme::FOREGROUND);
    assert!(ink > 20, "Arabic text has {ink} pixels");
    assert_eq!(count(&fb, right_half, theme::FOREGROUND), ink, "all on the right");
    assert_eq!(text::visual_order("بت"), "تب");
}

#[test]
fn status_line_is_shown_prominently() {
    for (w, h) in [(240, 240), (320, 240)] {
        let layout = Layout::for_size(w, h);
        let fb = screen(w, h, &View { status: Some("camera lost, retrying"), ..View::default() });
        let band = count(&fb, layout.status, theme::STATUS_BACKGROUND);
        let text = count(&fb, layout.status, theme::STATUS_TEXT);
        assert!(band as u32 > layout.status.size.width * layout.status.size.height / 2, "red band on {w}x{h}");
        assert!(text > 100, "status text has {text} pixels on {w}x{h}");

        // Without status: the dim hint, no band.
        let fb = screen(w, h, &View::default());
        assert_eq!(count(&fb, layout.status, theme::STATUS_BACKGROUND), 0);
        assert!(count(&fb, layout.status, theme::DIM) > 20);
    }
    // A status too long for a line is cut, never a panic.
    let long = "x".repeat(500);
    let fb = screen(240, 240, &View { status: Some(&long), ..View::default() });
    assert!(count(&fb, Layout::for_size(240, 240).status, theme::STATUS_TEXT) > 100);
}

#[test]
fn fps_is_shown_in_its_corner() {
    assert_eq!(widgets::fps_label(12.4), "12 fps");
    assert_eq!(widgets::fps_label(f32::NAN), "-- fps");
    assert_eq!(widgets::fps_label(0.0), "-- fps");
    let layout = Layout::for_size(240, 240);
    let fb = screen(240, 240, &View { fps: 14.0, ..View::default() });
    assert!(count(&fb, layout.fps, theme::DIM) > 10);
    assert!(layout.fps.top_left.x >= 160, "right column");
}

#[test]
fn bad_preview_input_draws_no_picture_instead_of_panicking() {
    let short = vec![0u8; 10];
    for preview in [
        Preview { rgb: &short, width: 640, height: 480 },
        Preview { rgb: &short, width: 0, height: 480 },
        Preview { rgb: &short, width: 640, height: 0 },
    ] {
        let view = View { preview: Some(preview), guide: Some(Roi::new(0, 0, 10, 10)), ..View::default() };
        let fb = screen(240, 240, &view);
        let layout = Layout::for_size(240, 240);
        assert!(count(&fb, layout.preview, theme::NO_PREVIEW) > 1000);
        assert_eq!(count(&fb, layout.preview, theme::GUIDE), 0);
    }
    // No preview at all (camera lost).
    let fb = screen(240, 240, &View { status: Some("camera lost"), ..View::default() });
    assert!(count(&fb, Layout::for_size(240, 240).preview, theme::NO_PREVIEW) > 1000);
}

#[test]
fn other_screen_sizes_draw_everything_somewhere() {
    let rgb = grey_picture(64, 48);
    let view = View {
        preview: Some(Preview { rgb: &rgb, width: 64, height: 48 }),
        guide: Some(Roi::new(16, 12, 32, 24)),
        letter: Some("Q"),
        confidence: 0.6,
        text: "HELLO WORLD",
        fps: 9.0,
        status: Some("low light"),
        ..View::default()
    };
    for (w, h) in [(480, 320), (135, 240), (128, 128), (240, 320), (1, 1)] {
        let fb = screen(w, h, &view);
        let all = Rectangle::new(Point::zero(), Size::new(w, h));
        if w >= 128 {
            assert!(count(&fb, all, theme::GUIDE) > 0, "guide on {w}x{h}");
            assert!(count(&fb, all, theme::FOREGROUND) > 0, "letter/text on {w}x{h}");
            assert!(count(&fb, all, theme::STATUS_BACKGROUND) > 0, "status on {w}x{h}");
        }
    }
}

/// Full screens as PNGs through `PngPanel` (kept under the target dir to look at),
/// read back pixel for pixel.
#[test]
fn png_panel_writes_numbered_screens_that_read_back() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui_screens");
    let _ = std::fs::remove_dir_all(&dir);
    let rgb = grey_picture(640, 480);
    let view = View {
        preview: Some(Preview { rgb: &rgb, width: 640, height: 480 }),
        guide: Some(Roi::new(160, 120, 320, 240)),
        letter: Some("A"),
        confidence: 0.85,
        text: "HELLO WORLD THIS IS A LONG SENTENCE THAT WRAPS AND SCROLLS",
        fps: 15.0,
        status: Some("camera lost, retrying"),
        ..View::default()
    };
    for (w, h) in [(240, 240), (320, 240)] {
        let mut panel = PngPanel::new(dir.join(format!("{w}x{h}")), w, h).unwrap();
        assert_eq!(panel.size(), (w, h));
        let first = screen(w, h, &view);
        let second = screen(w, h, &View { letter: Some("ب"), status: None, ..view });
        panel.push(&first).unwrap();
        panel.push(&second).unwrap();
        assert_eq!(panel.written(), 2);
        for (n, fb) in [(1, &first), (2, &second)] {
            let path = panel.frame_path(n);
            assert!(path.ends_with(format!("frame_{n:05}.png")), "{}", path.display());
            let back = image::open(&path).unwrap().to_rgb8();
            assert_eq!((back.width(), back.height()), (w, h));
            assert_eq!(back.into_raw(), fb.to_rgb888());
        }
        // A screen of the wrong size is refused, naming the file it would have written.
        let err = panel.push(&FrameBuffer::new(10, 10)).unwrap_err();
        assert!(format!("{err:#}").contains("frame_00003.png"), "{err:#}");
    }
    // save_png into a folder that does not exist fails naming the file.
    let missing = dir.join("no/such/dir/shot.png");
    let err = save_png(&FrameBuffer::new(4, 4), &missing).unwrap_err();
    assert!(format!("{err:#}").contains("shot.png"), "{err:#}");
}

#[test]
fn hand_landmarks_are_drawn_as_a_skeleton_inside_the_preview() {
    let rgb = grey_picture(640, 480);
    // A hand standing in the middle of the frame: wrist low, four fingers and a thumb up.
    let points: [shared::hands::Point; 21] = std::array::from_fn(|i| {
        if i == 0 {
            return shared::hands::Point { x: 320.0, y: 400.0, z: 0.0 };
        }
        let (finger, joint) = ((i - 1) / 4, (i - 1) % 4 + 1);
        shared::hands::Point { x: 240.0 + 40.0 * finger as f32, y: 340.0 - 40.0 * joint as f32, z: 0.0 }
    });
    let layout = Layout::for_size(240, 240);
    let with = screen(240, 240, &View { preview: Some(Preview { rgb: &rgb, width: 640, height: 480 }), landmarks: Some(&points), ..View::default() });
    let without = screen(240, 240, &View { preview: Some(Preview { rgb: &rgb, width: 640, height: 480 }), ..View::default() });
    let whole = Rectangle::new(Point::zero(), Size::new(240, 240));
    let drawn = count(&with, whole, ui::theme::LANDMARKS);
    assert!(drawn > 40, "{drawn} skeleton pixels");
    assert_eq!(count(&with, layout.preview, ui::theme::LANDMARKS), drawn, "the skeleton stays on the preview");
    assert_eq!(count(&without, whole, ui::theme::LANDMARKS), 0);
    // The wrist (320, 400) of a 640x480 frame shown 160x120 at the top left is at (80, 100).
    assert_eq!(at(&with, 80, 100), ui::theme::LANDMARKS);
}
