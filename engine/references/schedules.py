"""stub"""
REFERENCES = ()
