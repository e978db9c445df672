//! From per-frame class probabilities to words: [`letters`] turns frames into
//! committed letters (vote, hold, release); [`words`] proposes the word the signer
//! most likely meant from the [`lexicon`] and the [`channel`] of letter confusions
//! measured on people the model never saw; [`motion`] reads J, Z and double letters
//! from the hand's track; [`speller`] runs them all on each frame.

pub mod channel;
pub mod letters;
pub mod lexicon;
pub mod motion;
pub mod speller;
pub mod words;

pub use letters::{Decoder, DecoderConfig, Edit, Step};
pub use speller::Speller;
pub use words::{Proposal, ShowRule, WordDecoder};
