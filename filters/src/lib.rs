pub mod decontam;
