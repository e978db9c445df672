//! The hand-following region stage on real frames, and the kiosk loop running with it.

mod common;

use common::shared_dir;
use device::region::{self, GuideBox, HandRegion, HandsConfig, HandsRegion};
use shared::{Frame, PixelFormat};

fn config() -> GuideBox {
    GuideBox { hands: Some(HandsConfig { models: shared_dir().join("models/mediapipe"), detect_every: 5, margin: 0.25, plan: None }), ..GuideBox::default() }
}

#[test]
fn the_box_follows_the_hand_and_there_is_none_without_one() {
    let mut region = HandsRegion::load(config().hands.as_ref().unwrap(), false, 1).unwrap();
    for (file, hand) in [("asl-alphabet/A/A1008.jpg", true), ("asl-alphabet/L/L102.jpg", true), ("asl-alphabet/nothing/nothing1001.jpg", false)] {
        let img = shared::image_io::decode_file(&shared_dir().join("data").join(file)).unwrap().to_rgb8();
        let frame = Frame::packed(img.as_raw(), img.width(), img.height(), PixelFormat::Rgb24).unwrap();
        region.tracker.reset();
        let roi = region.locate(&frame).unwrap();
        assert_eq!(roi.is_some(), hand, "{file}");
        if let Some(roi) = roi {
            // A square inside the frame around every landmark.
            assert_eq!(roi.width, roi.height, "{file}: {roi:?}");
            assert!(roi.x + roi.width <= img.width() && roi.y + roi.height <= img.height(), "{file}: {roi:?}");
            let inside = |p: &shared::hands::Point| {
                p.x >= roi.x as f32 - 1.0 && p.y >= roi.y as f32 - 1.0 && p.x <= (roi.x + roi.width) as f32 + 1.0 && p.y <= (roi.y + roi.height) as f32 + 1.0
            };
            let last = region.last.as_ref().unwrap();
            let on_frame = last.landmarks.points.iter().filter(|p| p.x >= 0.0 && p.y >= 0.0 && p.x < img.width() as f32 && p.y < img.height() as f32);
            assert!(on_frame.clone().all(inside), "{file}: {roi:?} misses landmarks");
        }
    }
    // Three frames located, a hand in two of them (what `device bench --hands` reports).
    assert_eq!(region.counts, (3, 2));
}

#[test]
fn a_config_names_the_mediapipe_folder_relative_to_itself() {
    let dir = common::scratch("hands-config");
    let model = common::model("asl-alphabet.onnx");
    let cfg = dir.join("kiosk.toml");
    std::fs::write(&cfg, format!("model = {:?}\n[region.hands]\nmodels = \"mediapipe\"\ndetect_every = 3\n", model.display().to_string())).unwrap();
    let loaded = device::config::KioskConfig::load(&cfg).unwrap();
    let hands = loaded.region.hands.unwrap();
    assert_eq!((hands.models, hands.detect_every, hands.margin), (dir.join("mediapipe"), 3, 0.25));
    // A missing folder is named when the stage is built.
    let err = region::from_config(&device::region::GuideBox { hands: Some(HandsConfig { models: dir.join("mediapipe"), detect_every: 3, margin: 0.25, plan: None }), ..GuideBox::default() })
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("palm_detection_lite.onnx"), "{err}");
    std::fs::write(&cfg, format!("model = {:?}\n[region.hands]\nmodels = \"m\"\ndetect_every = 0\n", model.display().to_string())).unwrap();
    let err = format!("{:#}", device::config::KioskConfig::load(&cfg).err().unwrap());
    assert!(err.contains("detect_every"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
