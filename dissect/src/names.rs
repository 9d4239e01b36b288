//! Raw wire values with names: an unknown code is kept and shown in hex,
//! never an error, because an analyzer must show what it saw.

/// Defines a newtype over a raw wire value with named constants, `name()`,
/// and `Display` that prints the name or, for an unknown value, hex.
#[macro_export]
macro_rules! named_values {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($ty:ty) {
            $( $(#[$cmeta:meta])* $konst:ident = $val:expr => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        $vis struct $name(pub $ty);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: $name = $name($val); )*

            /// Every named value, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name($val)),*];

            /// The protocol's name for this value, if it has one.
            pub fn name(self) -> Option<&'static str> {
                // First match wins where a later kernel reused a value.
                $( if self.0 == $val { return Some($text); } )*
                None
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{:#0w$x}", self.0, w = 2 + 2 * core::mem::size_of::<$ty>()),
                }
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({:#x})", n, self.0),
                    None => write!(f, "{}({:#x})", stringify!($name), self.0),
                }
            }
        }
    };
}

/// `contains` for named values that are sets of bits (flags, feature masks).
#[macro_export]
macro_rules! flag_bits {
    ($($name:ty),* $(,)?) => {
        $(
            impl $name {
                /// True when every bit of `bits` is set.
                pub fn contains(self, bits: $name) -> bool {
                    self.0 & bits.0 == bits.0
                }
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    named_values! {
        struct Colour(u16) {
            RED = 1 => "RED",
            OLD_RED = 1 => "OLD_RED",
            BLUE = 0x20 => "BLUE",
        }
    }

    #[test]
    fn known_values_print_names_and_unknown_print_hex() {
        assert_eq!(Colour::RED.to_string(), "RED");
        assert_eq!(Colour::BLUE.to_string(), "BLUE");
        assert_eq!(Colour(7).to_string(), "0x0007");
        assert_eq!(Colour(7).name(), None);
        assert_eq!(format!("{:?}", Colour(0x20)), "BLUE(0x20)");
    }

    flag_bits!(Colour);

    #[test]
    fn flag_bits_contain_all_or_nothing() {
        assert!(Colour(0x21).contains(Colour::BLUE));
        assert!(!Colour(0x01).contains(Colour(0x21)));
    }

    #[test]
    fn reused_value_takes_first_name() {
        assert_eq!(Colour::OLD_RED.name(), Some("RED"));
        assert_eq!(Colour::KNOWN.len(), 3);
    }
}
