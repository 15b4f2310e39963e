-- What a group is about (optional), as chat services that describe their conversations keep it.
ALTER TABLE conversations ADD COLUMN description TEXT;
