//! The ground truth of a simulation, `OUT/truth.json`: what every file holds and what the scanner
//! should make of it.

use serde::{Deserialize, Serialize};

use crate::record::{Outcome, Reason, RowVerdict};

/// `OUT/truth.json`: what every file holds and what the scanner should make of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub vote: String,
    pub seed: u64,
    pub sheets: Vec<TruthSheet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthSheet {
    /// File name, relative to OUT.
    pub file: String,
    /// The serial in the sheet's QR code (none for files without one).
    pub serial: Option<String>,
    pub kind: SheetKind,
    pub expect: Outcome,
    pub expect_reason: Option<Reason>,
    /// What the voter did in each row (empty for bad inputs).
    pub rows: Vec<TruthRow>,
    /// True when every mark is clear (no faint pencil): the scanner should not need a person.
    pub clear: bool,
    pub faults: Faults,
    /// For people, never needed to judge a scanner: stray ink ("signature", "written_name",
    /// "doodle:star", "tick_beside_box", "note"), "photocopy", "stamp_whited_out",
    /// "vote:<other id>", creases ("fold:thirds"), scanner extras ("low_contrast:30-220",
    /// "lamp_falloff", "dust:12"), or what a bad input is ("truncated_jpeg", …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetKind {
    Genuine,
    Forged,
    Foreign,
    Duplicate,
    MissingStamp,
    BadInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthRow {
    pub subject: usize,
    /// `valid` (exactly one mark), `no_mark`, `multiple_marks` or `crossed_out`.
    pub verdict: RowVerdict,
    /// The marked level when the verdict is `valid`.
    pub choice: Option<usize>,
    /// The row's marks are light pencil: a scanner may count them or ask a person.
    pub faint: bool,
    /// How: `x`, `tick`, `slash`, `fill`, `scribble`, `circle`, `dot`, `none`; several marks
    /// joined by `+`; `strike`, `double_strike`, `wavy_strike` (maybe `+` a mark) for a name
    /// crossed out.
    pub style: String,
    /// What each box holds: `""` when the voter left it empty, else `<instrument>:<shape>`
    /// (`ballpoint:x`, `light_pencil:tick`, …). Empty for truth files made before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boxes: Vec<String>,
}

/// What the simulated scanner did to a sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// `none`, `mild` or `harsh`.
    pub level: String,
    /// The scanner's nominal resolution; 0 for files that are not scans.
    pub dpi: u32,
    /// Skew of the page on the bed, degrees, clockwise in the image.
    pub rotation_deg: f64,
    /// Quarter turns clockwise applied last (1 = the page's top is on the right, 2 = upside down).
    pub quarter_turns: u8,
    /// Size of the page in the image relative to the nominal dpi.
    pub scale: f64,
    /// Shift of the page's centre from its place on the bed (mm, x right, y down).
    pub offset_mm: (f64, f64),
    /// Largest displacement of a page corner by the perspective (mm).
    pub perspective: f64,
    /// Gaussian blur, sigma in pixels of the image.
    pub blur_sigma: f64,
    /// Sensor noise, standard deviation in grey levels (of 255).
    pub noise: f64,
    pub jpeg_quality: Option<u8>,
    pub gray: bool,
    /// The paper's colour, multiplied into the page.
    pub tint: Option<[u8; 3]>,
    /// `png`, `jpg` or `tif`.
    pub format: String,
}

impl Faults {
    /// For a file that never went through the scanner.
    pub(super) fn not_scanned(format: &str) -> Faults {
        Faults {
            level: "none".into(),
            dpi: 0,
            rotation_deg: 0.0,
            quarter_turns: 0,
            scale: 1.0,
            offset_mm: (0.0, 0.0),
            perspective: 0.0,
            blur_sigma: 0.0,
            noise: 0.0,
            jpeg_quality: None,
            gray: false,
            tint: None,
            format: format.into(),
        }
    }
}
