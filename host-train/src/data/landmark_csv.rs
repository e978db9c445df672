//! Hand landmarks logged with the Kazuhito00 hand-gesture-recognition app
//! (`asl-landmarks/<author>/letters.csv`): a header, then `letter,x0,y0,...,x20,y20`,
//! the 21 points of one hand as pixel coordinates of a mirrored camera frame, minus the
//! wrist, divided by the largest absolute value. Only position, scale and mirroring
//! differ from MediaPipe's points in frame pixels, and `shared::features` takes all
//! three out.

use std::path::Path;

use anyhow::{Context, Result, bail};
use shared::features::POINTS;

/// The file name in each author's folder.
pub const FILE: &str = "letters.csv";

/// One logged hand.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvHand {
    /// The letter.
    pub label: String,
    /// The 21 points, `[x, y]`.
    pub xy: [[f32; 2]; POINTS],
    /// `file:line N`.
    pub source: String,
}

/// Reads every row; a short, long or non-numeric row is an error naming the file and
/// line.
pub fn load(path: &Path) -> Result<Vec<CsvHand>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.starts_with("letter,") => {}
        _ => bail!("{}: the first line is not the header 'letter,x0,y0,...'", path.display()),
    }
    let mut out = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let at = || format!("{}: line {}", path.display(), n + 1);
        if fields.len() != 1 + 2 * POINTS {
            bail!("{}: has {} fields, expected {} (a letter and 21 x,y pairs)", at(), fields.len(), 1 + 2 * POINTS);
        }
        let mut xy = [[0f32; 2]; POINTS];
        for (i, f) in fields[1..].iter().enumerate() {
            let v: f32 = f.trim().parse().with_context(|| format!("{}: field {} '{f}' is not a number", at(), i + 2))?;
            if !v.is_finite() {
                bail!("{}: field {} is not finite", at(), i + 2);
            }
            xy[i / 2][i % 2] = v;
        }
        out.push(CsvHand { label: fields[0].trim().to_string(), xy, source: at() });
    }
    if out.is_empty() {
        bail!("{}: no rows", path.display());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_bad_rows_are_named() {
        let dir = std::env::temp_dir().join(format!("landmark-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(FILE);
        let header = "letter,".to_string() + &(0..21).map(|i| format!("x{i},y{i}")).collect::<Vec<_>>().join(",");
        let row = |n: usize| "A,".to_string() + &vec!["0.5"; n].join(",");
        std::fs::write(&p, format!("{header}\n{}\n{}\n", row(42), row(40))).unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("letters.csv: line 3") && e.contains("41 fields"), "{e}");
        std::fs::write(&p, format!("{header}\n{}\n", row(41) + ",x")).unwrap();
        assert!(load(&p).unwrap_err().to_string().contains("'x' is not a number"));
        std::fs::write(&p, format!("{header}\n{}\n", row(42))).unwrap();
        assert_eq!(load(&p).unwrap()[0].xy[20], [0.5, 0.5]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
