//! A synthetic household's meter files, in the holders' own layouts.
