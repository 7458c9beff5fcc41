//! A list that keeps its first element inline, so the common case of one element (one ballot,
//! one proposed value, one message in a node's local queue) costs no allocation.

/// A `Vec<T>` whose first element lives inline; elements keep their push order.
#[derive(Debug, Clone)]
pub(crate) struct OneOrMore<T> {
    first: Option<T>,
    /// Elements after the first; empty whenever `first` is `None`.
    more: Vec<T>,
}

impl<T> Default for OneOrMore<T> {
    fn default() -> OneOrMore<T> {
        OneOrMore {
            first: None,
            more: Vec::new(),
        }
    }
}

impl<T> OneOrMore<T> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.len()
    }

    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        if self.first.is_none() {
            debug_assert!(self.more.is_empty());
            self.first = Some(item);
        } else {
            self.more.push(item);
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i == 0 {
            self.first.as_mut()
        } else {
            self.more.get_mut(i - 1)
        }
    }

    #[inline]
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.first.iter().chain(self.more.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::OneOrMore;

    #[test]
    fn keeps_push_order() {
        let mut l = OneOrMore::default();
        assert_eq!(l.len(), 0);
        for i in 0..5 {
            l.push(i);
        }
        assert_eq!(l.len(), 5);
        assert_eq!(l.iter().copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(l.iter().rev().position(|&x| x == 3), Some(1));
        *l.get_mut(0).unwrap() += 10;
        *l.get_mut(4).unwrap() += 10;
        assert_eq!(l.get_mut(5), None);
        assert_eq!(l.iter().copied().collect::<Vec<_>>(), [10, 1, 2, 3, 14]);
    }
}
