"""The retrieval core: documents, chunking, embedding, FAISS store, search and answers.

Synchronous and free of Discord; every heavy resource is created by an entry point and passed in.
"""
