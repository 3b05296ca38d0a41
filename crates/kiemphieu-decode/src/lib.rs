//! # kiemphieu-decode — scanned files to pages of grey pixels
//!
//! [`decode`]: PNG, JPEG, BMP, multi-page TIFF and scanner PDFs, page by page, under one memory
//! budget shared by every thread; [`raster`]: a PDF page rendered to pixels (hayro), for the
//! simulator and the tests that look at printed ballots.
//!
//! Its own crate because it needs a PDF rasterizer, which `kiemphieu-core` must not: the reading
//! of a page is pure, the decoding of a file is where the file formats live.

pub mod decode;
pub mod raster;

// The modules below name these as `crate::…`, as they did inside one crate.
use kiemphieu_core::{record, units};
