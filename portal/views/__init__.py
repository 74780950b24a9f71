"""The portal's views, one module per audience: public, applicant, office."""
