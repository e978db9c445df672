//! MediaPipe palm detection and hand landmarks in tract, on real pictures: tract
//! computes what onnxruntime computes, hands are found in ASL letters and not in empty
//! rooms, points land on the picture, and tracking skips the detector between
//! detections.
#![cfg(feature = "tract")]

mod common;

use std::path::PathBuf;

use common::{data, fixture, model};
use shared::hands::{HandLandmarker, HandTracker, PalmDetector, PipelinedTracker, TrackerConfig};

fn mediapipe() -> PathBuf {
    model("mediapipe")
}

fn rgb(path: &std::path::Path) -> image::RgbImage {
    shared::image_io::decode_file(path).unwrap().to_rgb8()
}

fn tensor(path: &std::path::Path) -> Vec<f32> {
    rgb(path).as_raw().iter().map(|&v| v as f32 / 255.0).collect()
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn tract_matches_onnxruntime_on_fixed_inputs() {
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("mediapipe/mediapipe_reference.json")).unwrap()).unwrap();
    let palm = PalmDetector::load(&mediapipe().join("palm_detection_lite.onnx")).unwrap();
    let landmarker = HandLandmarker::load(&mediapipe().join("hand_landmark_lite.onnx")).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f32> { v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect() };
    for (name, r) in reference.as_object().unwrap() {
        let (boxes, logits) = palm.run_raw(&tensor(&fixture(&format!("mediapipe/{name}_palm_input.png")))).unwrap();
        let want = floats(&r["palm_logits"]);
        let worst = logits.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(logits.iter().zip(&want).all(|(a, b)| close(*a, *b, 1e-3)), "{name}: palm logits differ by up to {worst}");
        for (i, top) in r["palm_top"].as_array().unwrap().iter().enumerate() {
            let k = top.as_u64().unwrap() as usize;
            let want = floats(&r["palm_top_boxes"][i]);
            for (a, b) in boxes[k * 18..][..18].iter().zip(&want) {
                assert!(close(*a, *b, 1e-3), "{name}: anchor {k} box {a} vs {b}");
            }
        }
        let (points, presence, handedness) =
            landmarker.run_raw(&tensor(&fixture(&format!("mediapipe/{name}_landmark_input.png")))).unwrap();
        for (a, b) in points.iter().zip(floats(&r["landmarks"])) {
            assert!(close(*a, b, 1e-3), "{name}: landmark value {a} vs {b}");
        }
        assert!(close(presence, r["presence"].as_f64().unwrap() as f32, 1e-3), "{name}: presence {presence}");
        assert!(close(handedness, r["handedness"].as_f64().unwrap() as f32, 1e-3), "{name}: handedness {handedness}");
    }
}

/// Every `step`-th picture of an asl-alphabet class, in file-name order.
#[test]
fn the_palm_detectors_prelus_pools_pads_and_resizes_run_channel_last() {
    // Its 26 PReLUs, each a ReLU plus an NHWC branch (Neg, ReLU, Mul) between two
    // transposes in the file, are one op each in the kiosk's plan; its max-pools, channel
    // pads and resizes run NHWC, and the axis moves between channel-last ops all cancel.
    // (The outputs against onnxruntime: `tract_matches_onnxruntime_on_fixed_inputs`.)
    let palm = PalmDetector::load(&mediapipe().join("palm_detection_lite.onnx")).unwrap();
    let input = tensor(&fixture("mediapipe/asl_A1008_palm_input.png"));
    let nodes = palm.profile(&input, 1).unwrap();
    let count = |op: &str| nodes.iter().filter(|n| n.op == op).count();
    let ops: Vec<&str> = nodes.iter().map(|n| n.op.as_str()).collect();
    assert_eq!((count("ChannelLastPrelu"), count("Neg")), (26, 0), "{ops:?}");
    let pools: Vec<&str> = nodes.iter().filter(|n| n.op.contains("MaxPool")).map(|n| n.info.as_str()).collect();
    assert!(pools.len() == 4 && pools.iter().all(|i| i.contains("NHWC")), "{pools:?}");
    let resizes: Vec<&str> = nodes.iter().filter(|n| n.op == "Resize").map(|n| n.info.as_str()).collect();
    assert!(resizes.len() == 2 && resizes.iter().all(|i| i.ends_with(",256")), "NCHW resizes: {resizes:?}");
    let pads: Vec<&str> = nodes.iter().filter(|n| n.op == "Pad").map(|n| n.info.as_str()).collect();
    let channel_pads = pads.iter().filter(|i| i.contains("pads: [(0, 0), (0, 0), (0, 0), (0, ")).count();
    assert_eq!(channel_pads, 3, "channel padding not on the last axis: {pads:?}");
    assert_eq!(count("MoveAxis"), 0, "axis moves: {ops:?}");
}

#[test]
fn both_hand_models_read_the_picture_in_place_in_their_first_layer() {
    // tract pads the picture into a copy and gathers it for a matrix product (im2col);
    // the kiosk's plan runs `shared::stem` on it instead, which does neither.
    let palm = PalmDetector::load(&mediapipe().join("palm_detection_lite.onnx")).unwrap();
    let landmarker = HandLandmarker::load(&mediapipe().join("hand_landmark_lite.onnx")).unwrap();
    for nodes in [
        palm.profile(&tensor(&fixture("mediapipe/asl_A1008_palm_input.png")), 1).unwrap(),
        landmarker.profile(&tensor(&fixture("mediapipe/asl_A1008_landmark_input.png")), 1).unwrap(),
    ] {
        let ops: Vec<&str> = nodes.iter().map(|n| n.op.as_str()).collect();
        assert_eq!(ops.iter().filter(|&&o| o == "ChannelLastStem").count(), 1, "{ops:?}");
        assert!(!ops.contains(&"LazyIm2col"), "{ops:?}");
        let spatial_pads: Vec<&str> =
            nodes.iter().filter(|n| n.op == "Pad" && !n.info.contains("pads: [(0, 0), (0, 0), (0, 0), (0, ")).map(|n| n.info.as_str()).collect();
        assert!(spatial_pads.is_empty(), "{spatial_pads:?}");
    }
}

fn asl_pictures(class: &str, step: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data(&format!("asl-alphabet/{class}"))).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.into_iter().step_by(step).collect()
}

#[test]
fn hands_are_found_in_asl_letters_and_rarely_in_empty_rooms() {
    let mut tracker = HandTracker::load(&mediapipe(), TrackerConfig::default()).unwrap();
    let letters: Vec<String> = ('A'..='Z').map(|c| c.to_string()).collect();
    let (mut found, mut total, mut missed) = (0, 0, Vec::new());
    for class in &letters {
        for path in asl_pictures(class, 67) {
            let img = rgb(&path);
            total += 1;
            match tracker.find(&img).unwrap() {
                Some(hand) => {
                    found += 1;
                    // The 21 points lie on the picture, give or take 5% of its side: a
                    // fingertip or wrist cut by the frame's edge is placed just beyond it.
                    let (w, h) = (img.width() as f32, img.height() as f32);
                    let slack = 0.05 * w.max(h);
                    for p in &hand.landmarks.points {
                        let inside = p.x >= -slack && p.y >= -slack && p.x <= w + slack && p.y <= h + slack;
                        assert!(inside, "{}: point {p:?} off the picture", path.display());
                    }
                    assert!(hand.landmarks.presence >= 0.5 && hand.palm_score.is_none_or(|s| s >= 0.1));
                }
                None => missed.push(path.display().to_string()),
            }
        }
    }
    let rate = found as f64 / total as f64;
    assert!(rate >= 0.95, "hands found in {found} of {total} letter pictures ({:.1}%); missed {missed:?}", 100.0 * rate);
    let nothing = asl_pictures("nothing", 10);
    let false_hands = nothing.iter().filter(|p| tracker.find(&rgb(p)).unwrap().is_some()).count();
    assert!(false_hands * 10 <= nothing.len(), "hands found in {false_hands} of {} empty-room pictures", nothing.len());
    eprintln!("hands found in {found}/{total} letter pictures, {false_hands}/{} empty rooms", nothing.len());
}

#[test]
fn tracking_runs_the_detector_only_every_k_frames() {
    let mut tracker = HandTracker::load(&mediapipe(), TrackerConfig { detect_every: 4, ..TrackerConfig::default() }).unwrap();
    // Consecutive video frames of one letter.
    let frames: Vec<PathBuf> = asl_pictures("B", 1).into_iter().take(8).collect();
    let mut detected = Vec::new();
    for f in &frames {
        let hand = tracker.track(&rgb(f)).unwrap().unwrap_or_else(|| panic!("lost the hand in {}", f.display()));
        detected.push(hand.palm_score.is_some());
    }
    assert_eq!(detected, [true, false, false, false, true, false, false, false]);
}

/// Feeds `img` to the pipelined tracker until it answers with a hand found in the palm
/// thread's crop (its answer takes a few frames), at most 10 s; the frames it took.
fn frames_until_found(tracker: &mut PipelinedTracker, img: &image::RgbImage) -> (usize, shared::hands::Hand) {
    let start = std::time::Instant::now();
    for n in 1.. {
        if let Some(hand) = tracker.track(img).unwrap().filter(|h| h.palm_score.is_some()) {
            return (n, hand);
        }
        assert!(start.elapsed().as_secs() < 10, "no hand after {n} frames");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    unreachable!()
}

#[test]
fn a_still_hand_stays_still_when_the_palm_detector_runs_again() {
    // The same picture as 30 video frames: the palm detector runs again every 10th frame
    // and finds the hand the track holds, so the track's crop is kept (re-cropped at the
    // palm's cut, the landmarks would jump by a tenth of a hand, which the kiosk's motion
    // reader takes for a double letter).
    let config = TrackerConfig { detect_every: 10, ..TrackerConfig::default() };
    let mut tracker = HandTracker::load(&mediapipe(), config).unwrap();
    for picture in [&asl_pictures("C", 1)[0], &asl_pictures("H", 1)[0]] {
        tracker.reset();
        let img = rgb(picture);
        let hands: Vec<_> = (0..30).map(|_| tracker.track(&img).unwrap().expect("a hand in every frame")).collect();
        assert_eq!(hands.iter().filter(|h| h.palm_score.is_some()).count(), 3, "the detector ran on frames 1, 11 and 21");
        let size = hands[0].bbox.width().max(hands[0].bbox.height());
        // From the third frame on the track has settled: no frame moves the wrist.
        for (n, pair) in hands.windows(2).enumerate().skip(2) {
            let (a, b) = (pair[0].landmarks.points[0], pair[1].landmarks.points[0]);
            assert!((a.x - b.x).hypot(a.y - b.y) < 0.02 * size, "{}: frame {} moved the wrist {a:?} -> {b:?}", picture.display(), n + 2);
        }
    }
}

#[test]
fn a_still_picture_is_read_as_the_kiosk_reads_a_held_hand() {
    // The kiosk crops each frame of a held hand from the last frame's landmarks; `find`
    // has one picture, so it settles its crop the same way (`TrackerConfig::settle`):
    // its points are exactly those of the kiosk's frame 1 + SETTLE, and nearer the points
    // the track settles on than the palm detector's crop alone gives (fists are where
    // that crop is furthest off). M's track is left out: this picture's track cycles
    // between three crops instead of settling.
    let load = |settle| HandTracker::load(&mediapipe(), TrackerConfig { settle, ..TrackerConfig::default() }).unwrap();
    assert!(shared::hands::SETTLE >= 1);
    let (mut unsettled, mut settled, mut kiosk) = (load(0), load(shared::hands::SETTLE), load(0));
    let (mut gap_unsettled, mut gap_settled) = (0f32, 0f32);
    for class in ["A", "N", "S", "T"] {
        let img = rgb(&asl_pictures(class, 1)[0]);
        kiosk.reset();
        let frames: Vec<_> = (0..8).map(|_| kiosk.track(&img).unwrap().expect("a hand in every frame")).collect();
        let held = &frames[7];
        let size = held.bbox.width().max(held.bbox.height());
        let gap = |a: &shared::hands::Hand, b: &shared::hands::Hand| {
            a.landmarks.points.iter().zip(&b.landmarks.points).map(|(p, q)| (p.x - q.x).hypot(p.y - q.y)).fold(0f32, f32::max) / size
        };
        let once = unsettled.find(&img).unwrap().expect("a hand");
        let still = settled.find(&img).unwrap().expect("a hand");
        let same = &frames[shared::hands::SETTLE];
        assert!(gap(&still, same) < 1e-4, "{class}: the settled still is the kiosk's frame {}", shared::hands::SETTLE + 1);
        assert_eq!(still.palm_score, once.palm_score, "the detection is the same");
        gap_unsettled += gap(&once, held);
        gap_settled += gap(&still, held);
    }
    assert!(gap_settled < 0.5 * gap_unsettled, "settling brings the points to the kiosk's: {gap_settled:.3} vs {gap_unsettled:.3}");
}

#[test]
fn the_pipelined_tracker_waits_for_the_palm_detector_only_to_find_a_hand() {
    let config = TrackerConfig { detect_every: 4, ..TrackerConfig::default() };
    let mut inline = HandTracker::load(&mediapipe(), config).unwrap();
    let mut piped = PipelinedTracker::load(&mediapipe(), config, 1).unwrap();
    let frames: Vec<PathBuf> = asl_pictures("B", 1).into_iter().take(12).collect();
    let first = rgb(&frames[0]);
    // Nothing is tracked yet: the frame waits for the palm detector, run on itself, and
    // the hand is the one the one-thread tracker finds (within 3% of its size).
    let found = piped.track(&first).unwrap().expect("a hand in the first B");
    assert!(found.palm_score.is_some(), "found in the palm's crop");
    let want = inline.find(&first).unwrap().expect("a hand in the first B");
    let size = want.bbox.width().max(want.bbox.height());
    for (a, b) in found.landmarks.points.iter().zip(&want.landmarks.points) {
        assert!((a.x - b.x).hypot(a.y - b.y) < 0.03 * size, "{a:?} vs {b:?}");
    }
    // A tracked hand never waits: every `detect_every` frames the frame goes to the palm
    // thread, and the tracker returns without its answer.
    for _ in 1..4 {
        assert!(piped.track(&first).unwrap().is_some());
    }
    assert!(piped.detecting(), "the fourth frame was handed to the palm thread and not waited for");
    // Its answer, a palm on the tracked hand, comes a few frames later and keeps the track.
    let (_, hand) = frames_until_found(&mut piped, &first);
    assert!(hand.landmarks.presence >= config.min_presence);
    // Then the hand is tracked in every following frame.
    for f in &frames[1..] {
        assert!(piped.track(&rgb(f)).unwrap().is_some(), "lost the hand in {}", f.display());
    }
    // An empty room: the tracked hand is gone at once, and stays gone.
    let empty = rgb(&asl_pictures("nothing", 10)[0]);
    for _ in 0..5 {
        assert!(piped.track(&empty).unwrap().is_none());
    }
    assert!(!piped.detecting(), "with no hand tracked, each frame's detection was waited for");
    // And the hand is found in the first frame it is back in.
    let back = piped.track(&first).unwrap().expect("the hand is found in the frame it comes back in");
    assert!(back.palm_score.is_some());
}

#[test]
fn a_hand_lost_by_the_track_is_looked_for_in_the_same_frame() {
    // Photos that jump: each frame another letter, the hand elsewhere in the picture, so
    // the crop tracked from the last frame often misses it. With the landmark model in
    // the caller's thread, the pipelined tracker then waits for the palm detector on that
    // frame, as the one-thread tracker does: every frame where one thread finds a hand,
    // it finds one too.
    let config = TrackerConfig::default();
    let mut inline = HandTracker::load(&mediapipe(), config).unwrap();
    let mut piped = PipelinedTracker::load(&mediapipe(), config, 1).unwrap();
    let letters = ["B", "H", "C", "L", "Y", "G", "O", "V", "H", "B"];
    let mut redetected = 0;
    for (n, letter) in letters.iter().enumerate() {
        // A 640x480 camera frame with the 200x200 photo at its left or right edge, in
        // turn: the hand jumps across the frame.
        let mut img = image::RgbImage::new(640, 480);
        image::imageops::overlay(&mut img, &rgb(&asl_pictures(letter, 1)[n * 7]), if n % 2 == 0 { 10 } else { 430 }, 140);
        let want = inline.track(&img).unwrap();
        let got = piped.track(&img).unwrap();
        assert_eq!(got.is_some(), want.is_some(), "frame {n} ({letter}): one thread {:?}, pipelined {:?}", want.map(|h| h.bbox), got.map(|h| h.bbox));
        redetected += usize::from(n > 0 && got.is_some_and(|h| h.palm_score.is_some()));
    }
    assert!(redetected >= 3, "the track broke and the hand was found again in {redetected} frames");
}

#[test]
fn landmark_threads_take_frames_in_turn_and_answer_a_frame_late() {
    let config = TrackerConfig { detect_every: 4, ..TrackerConfig::default() };
    let mut piped = PipelinedTracker::load(&mediapipe(), config, 2).unwrap();
    let frames: Vec<image::RgbImage> = asl_pictures("B", 1).iter().take(12).map(|p| rgb(p)).collect();
    let (_, first) = frames_until_found(&mut piped, &frames[0]);
    // A hand from two threads taking frames in turn, each answer one frame late: the
    // hand of the frame before, which for a still picture is the hand of the picture.
    let inline = HandTracker::load(&mediapipe(), config).unwrap().find(&frames[0]).unwrap().expect("a hand in the first B");
    let size = inline.bbox.width().max(inline.bbox.height());
    for (a, b) in first.landmarks.points.iter().zip(&inline.landmarks.points) {
        assert!((a.x - b.x).hypot(a.y - b.y) < 0.03 * size, "{a:?} vs {b:?}");
    }
    // Then every frame of the sequence is answered with a hand (the track follows from
    // the answers, and a frame handed over before an answer does not lose it).
    for f in &frames[1..] {
        assert!(piped.track(f).unwrap().is_some());
    }
}

